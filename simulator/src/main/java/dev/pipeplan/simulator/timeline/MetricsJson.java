package dev.pipeplan.simulator.timeline;

import dev.pipeplan.models.io.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The JSON form of {@link Metrics} that {@code pipeplan simulate --json} prints (docs/formats.md,
 * "Simulation metrics JSON"). Keys are sorted, so the same metrics always give the same bytes.
 */
public final class MetricsJson {
  private MetricsJson() {}

  /**
   * The metrics as a sorted map, ready for a caller to add its own keys (schedule, pp, ...) before
   * writing it with {@link Json#write(Object)}.
   *
   * @param metrics the metrics
   * @param samplesPerIteration samples one iteration processes (m · b), for the throughput
   */
  public static Map<String, Object> toMap(Metrics metrics, long samplesPerIteration) {
    Objects.requireNonNull(metrics, "metrics");
    Map<String, Object> root = new TreeMap<>();
    root.put("iterationNanos", metrics.iterationNanos());
    root.put("iterationTimeMs", millis(metrics.iterationNanos()));
    root.put("bubbleRatio", metrics.bubbleRatio());
    root.put("samplesPerIteration", samplesPerIteration);
    root.put("throughputSamplesPerSecond", metrics.throughputSamplesPerSecond(samplesPerIteration));
    root.put("peakMemoryBytes", metrics.peakMemoryBytes());
    List<Map<String, Object>> devices = new ArrayList<>(metrics.devices().size());
    for (DeviceMetrics d : metrics.devices()) {
      Map<String, Object> device = new TreeMap<>();
      device.put("device", d.device());
      device.put("busyNanos", d.busyNanos());
      device.put("busyMs", millis(d.busyNanos()));
      device.put("peakMemoryBytes", d.peakMemoryBytes());
      device.put("peakInFlightMicroBatches", d.peakInFlightMicroBatches());
      devices.add(device);
    }
    root.put("devices", devices);
    return root;
  }

  public static String write(Metrics metrics, long samplesPerIteration) {
    return Json.write(toMap(metrics, samplesPerIteration));
  }

  /** Nanoseconds as milliseconds, exact for whole nanoseconds up to 2^53. */
  static double millis(long nanos) {
    return nanos / 1e6;
  }
}
