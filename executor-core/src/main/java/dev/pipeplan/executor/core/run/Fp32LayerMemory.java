package dev.pipeplan.executor.core.run;

import dev.pipeplan.models.Checks;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.LayerSpec;
import java.util.Objects;

/**
 * What one layer holds in the executor, which computes in fp32 whatever type the model is described
 * in: per sample, its saved activations and its output; and its weights beside their gradients. The
 * CPU plan runner sums it over a plan's layers for the floor a micro-batch size sets, and the
 * profiler takes the largest layer's for what its workers hold at once: one estimate for both.
 *
 * @param activationBytesPerSample the saved activations and the output of one sample, in fp32
 * @param weightAndGradientBytes the parameters and their gradients, in fp32
 */
public record Fp32LayerMemory(double activationBytesPerSample, double weightAndGradientBytes) {
  public Fp32LayerMemory {
    Checks.nonNegative("activationBytesPerSample", activationBytesPerSample);
    Checks.nonNegative("weightAndGradientBytes", weightAndGradientBytes);
  }

  /**
   * The layer's memory in fp32; {@code dtype} is the model's, in which its byte counts are given (a
   * 16-bit model's activations take twice its bytes).
   */
  public static Fp32LayerMemory of(DType dtype, LayerSpec layer) {
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(layer, "layer");
    double widening = 4.0 / dtype.bytes();
    return new Fp32LayerMemory(
        (layer.savedActivationBytes() + layer.outputBytes()) * widening,
        layer.parameterCount() * 4.0 * 2);
  }

  /** {@code inFlight} micro-batches of {@code microBatchSize} samples, beside the weights. */
  public double bytes(int microBatchSize, int inFlight) {
    return activationBytesPerSample * microBatchSize * inFlight + weightAndGradientBytes;
  }
}
