package dev.pipeplan.models;

import java.util.Objects;

/**
 * How the model is trained.
 *
 * @param globalBatch samples per optimizer step, over all data-parallel replicas
 * @param sequenceLength tokens per sample (0 where it does not apply)
 * @param dtype the training format of weights and activations
 * @param optimizer what the optimizer keeps per parameter
 * @param recompute whether activations are recomputed in backward (only the stage inputs are kept)
 */
public record TrainingSpec(
    int globalBatch, int sequenceLength, DType dtype, Optimizer optimizer, boolean recompute) {
  public TrainingSpec {
    Checks.positive("globalBatch", globalBatch);
    Checks.nonNegative("sequenceLength", sequenceLength);
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(optimizer, "optimizer");
  }

  public static TrainingSpec of(int globalBatch, int sequenceLength, DType dtype) {
    return new TrainingSpec(
        globalBatch, sequenceLength, dtype, Optimizer.adamMixedPrecision(), false);
  }
}
