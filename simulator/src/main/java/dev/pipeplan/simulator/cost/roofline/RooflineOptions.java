package dev.pipeplan.simulator.cost.roofline;

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

  /** Flash attention, no sequence parallelism. */
  public static RooflineOptions defaults() {
    return new RooflineOptions(AttentionKernel.FLASH, false);
  }
}
