package dev.pipeplan.models;

import java.util.List;
import java.util.Objects;

/**
 * Measured per-layer times of one model on one backend, taken at several micro-batch sizes, with a
 * fitted line per layer and action so that a cost model can interpolate to sizes that were not
 * measured.
 *
 * @param modelName the model the layers belong to
 * @param backend the backend that ran them ("cpu", "cuda")
 * @param machine a description of the machine (processor, cores, threads per worker, JVM)
 * @param layers one entry per layer, in model order
 * @param handoffLatencyNanos fixed time to hand a tensor from one worker to the next
 * @param handoffBytesPerSecond bandwidth of that hand-off
 */
public record Profile(
    String modelName,
    String backend,
    String machine,
    List<LayerProfile> layers,
    long handoffLatencyNanos,
    double handoffBytesPerSecond) {

  public Profile {
    Checks.nonBlank("profile modelName", modelName);
    Checks.nonBlank("profile backend", backend);
    Objects.requireNonNull(machine, "machine");
    layers = List.copyOf(Objects.requireNonNull(layers, "layers"));
    Checks.nonNegative("profile handoffLatencyNanos", handoffLatencyNanos);
    Checks.positive("profile handoffBytesPerSecond", handoffBytesPerSecond);
  }

  /** The link a profile's hand-off measurements describe. */
  public LinkSpec handoffLink() {
    return new LinkSpec(backend + "-handoff", handoffBytesPerSecond, handoffLatencyNanos);
  }

  /**
   * The largest micro-batch size at which every layer was measured: beyond it the fitted lines
   * extrapolate. 0 when some layer has no samples (nothing is known).
   */
  public int largestMeasuredMicroBatchSize() {
    int largest = Integer.MAX_VALUE;
    for (LayerProfile layer : layers) {
      int own = 0;
      for (MeasuredTimes sample : layer.samples()) {
        own = Math.max(own, sample.microBatchSize());
      }
      largest = Math.min(largest, own);
    }
    return layers.isEmpty() ? 0 : largest;
  }

  /**
   * One layer's measurements.
   *
   * @param layerName the layer's name in the model
   * @param samples medians at each measured micro-batch size, sorted by size
   * @param forward fitted forward time
   * @param backwardInput fitted input-gradient time
   * @param backwardWeight fitted weight-gradient time
   */
  public record LayerProfile(
      String layerName,
      List<MeasuredTimes> samples,
      LinearFit forward,
      LinearFit backwardInput,
      LinearFit backwardWeight) {
    public LayerProfile {
      Checks.nonBlank("layerName", layerName);
      samples = List.copyOf(Objects.requireNonNull(samples, "samples"));
      Objects.requireNonNull(forward, "forward");
      Objects.requireNonNull(backwardInput, "backwardInput");
      Objects.requireNonNull(backwardWeight, "backwardWeight");
    }
  }

  /**
   * A time as a line in the micro-batch size: {@code fixedNanos + perSampleNanos * b}, never below
   * zero.
   *
   * @param fixedNanos the intercept
   * @param perSampleNanos the slope
   */
  public record LinearFit(double fixedNanos, double perSampleNanos) {
    public long nanosAt(int microBatchSize) {
      return Math.max(0L, Math.round(fixedNanos + perSampleNanos * microBatchSize));
    }
  }
}
