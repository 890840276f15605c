package dev.pipeplan.simulator.cost.roofline;

import dev.pipeplan.models.TrainingSpec;
import java.util.Objects;

/**
 * The training choices the roofline needs beyond the model and the device.
 *
 * @param attention the attention kernel
 * @param sequenceParallel Megatron's sequence parallelism with tp: norms, dropouts and residual
 *     adds run on 1/t of the tokens, and each all-reduce becomes a reduce-scatter plus an
 *     all-gather
 */
public record RooflineOptions(AttentionKernel attention, boolean sequenceParallel) {
  public RooflineOptions {
    Objects.requireNonNull(attention, "attention");
  }

  /** The attention kernel and sequence parallelism a training spec states. */
  public static RooflineOptions of(TrainingSpec training) {
    AttentionKernel kernel =
        switch (training.attention()) {
          case FLASH -> AttentionKernel.FLASH;
          case EAGER -> AttentionKernel.EAGER;
        };
    return new RooflineOptions(kernel, training.sequenceParallel());
  }

  /** Flash attention, no sequence parallelism. */
  public static RooflineOptions defaults() {
    return new RooflineOptions(AttentionKernel.FLASH, false);
  }
}
