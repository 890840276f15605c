package dev.pipeplan.simulator.timeline;

import java.util.List;
import java.util.Objects;

/**
 * Summary of one iteration.
 *
 * @param iterationNanos the iteration time
 * @param bubbleRatio 1 - busy / (p * iteration time)
 * @param devices per-device results
 */
public record Metrics(long iterationNanos, double bubbleRatio, List<DeviceMetrics> devices) {
  public Metrics {
    devices = List.copyOf(Objects.requireNonNull(devices, "devices"));
  }

  public long peakMemoryBytes() {
    long peak = 0;
    for (DeviceMetrics d : devices) {
      peak = Math.max(peak, d.peakMemoryBytes());
    }
    return peak;
  }

  /** Samples per second for an iteration that processes {@code samplesPerIteration} samples. */
  public double throughputSamplesPerSecond(long samplesPerIteration) {
    return iterationNanos == 0 ? 0 : samplesPerIteration * 1e9 / iterationNanos;
  }
}
