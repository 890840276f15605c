package dev.pipeplan.simulator.cost.roofline;

import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.TrainingSpec;
import java.util.Objects;

/**
 * The training choices the roofline needs beyond the model and the device.
 *
 * @param attention the attention kernel
 * @param sequenceParallel Megatron's sequence parallelism with tp: norms, dropouts and residual
 *     adds run on 1/t of the tokens, and each all-reduce becomes a reduce-scatter plus an
 *     all-gather
 * @param tensorParallelOverlap the tensor-parallel collectives run under the layer's GEMMs
 *     (Megatron's {@code --tp-comm-overlap}); only what the GEMMs cannot hide is exposed
 * @param gradientAccumulation how W adds its weight gradients to the iteration's: an unfused mode
 *     streams them once more per micro-batch
 * @param crossEntropy how the LM head's loss over the vocabulary runs
 * @param fp8Linears the blocks' linear GEMMs run in FP8 with per-tensor scaling casts around them
 * @param fp8WeightCastsPerIteration with FP8 linears, the weights' casts (and their transposed
 *     copies) run once an iteration, not in every micro-batch's passes ({@link
 *     LayerOps#fp8WeightCasts}, priced with the optimizer step)
 */
public record RooflineOptions(
    AttentionKernel attention,
    boolean sequenceParallel,
    boolean tensorParallelOverlap,
    GradientAccumulation gradientAccumulation,
    CrossEntropy crossEntropy,
    boolean fp8Linears,
    boolean fp8WeightCastsPerIteration) {
  public RooflineOptions {
    Objects.requireNonNull(attention, "attention");
    Objects.requireNonNull(gradientAccumulation, "gradientAccumulation");
    Objects.requireNonNull(crossEntropy, "crossEntropy");
  }

  /** Options whose FP8 weights, if any, are cast in every micro-batch's passes. */
  public RooflineOptions(
      AttentionKernel attention,
      boolean sequenceParallel,
      boolean tensorParallelOverlap,
      GradientAccumulation gradientAccumulation,
      CrossEntropy crossEntropy,
      boolean fp8Linears) {
    this(
        attention,
        sequenceParallel,
        tensorParallelOverlap,
        gradientAccumulation,
        crossEntropy,
        fp8Linears,
        false);
  }

  /** Options without FP8 linears. */
  public RooflineOptions(
      AttentionKernel attention,
      boolean sequenceParallel,
      boolean tensorParallelOverlap,
      GradientAccumulation gradientAccumulation,
      CrossEntropy crossEntropy) {
    this(
        attention,
        sequenceParallel,
        tensorParallelOverlap,
        gradientAccumulation,
        crossEntropy,
        false);
  }

  /** The attention kernel and sequence parallelism a training spec states. */
  public static RooflineOptions of(TrainingSpec training) {
    AttentionKernel kernel =
        switch (training.attention()) {
          case FLASH -> AttentionKernel.FLASH;
          case FLASH2 -> AttentionKernel.FLASH2;
          case EAGER -> AttentionKernel.EAGER;
        };
    return new RooflineOptions(
        kernel,
        training.sequenceParallel(),
        training.tensorParallelOverlap(),
        training.gradientAccumulation(),
        training.crossEntropy(),
        training.fp8Linears(),
        training.castsFp8WeightsOncePerIteration());
  }

  /** Flash attention, no sequence parallelism. */
  public static RooflineOptions defaults() {
    return new RooflineOptions(
        AttentionKernel.FLASH, false, false, GradientAccumulation.FUSED, CrossEntropy.UNFUSED);
  }
}
