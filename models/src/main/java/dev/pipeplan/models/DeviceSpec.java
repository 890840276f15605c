package dev.pipeplan.models;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * One accelerator (or a CPU socket share) as the cost model sees it.
 *
 * @param name the device's name ("h100-sxm")
 * @param sustainedFlopsPerSecond dense matrix FLOP/s a well-sized kernel sustains, per dtype (not
 *     the datasheet peak)
 * @param memoryBytes usable device memory
 * @param memoryBandwidthBytesPerSecond device memory bandwidth
 * @param launchOverheadNanos fixed time each pipeline action pays (kernel launches, bookkeeping),
 *     so that more micro-batches are not free
 * @param efficiency efficiencies fitted by {@code pipeplan calibrate}; null for a device priced
 *     with its preset's (or, without a preset, its sustained rate and full bandwidth)
 */
public record DeviceSpec(
    String name,
    Map<DType, Double> sustainedFlopsPerSecond,
    long memoryBytes,
    double memoryBandwidthBytesPerSecond,
    long launchOverheadNanos,
    @JsonInclude(JsonInclude.Include.NON_NULL) DeviceEfficiency efficiency) {

  /** A device priced with its preset's efficiencies. */
  public DeviceSpec(
      String name,
      Map<DType, Double> sustainedFlopsPerSecond,
      long memoryBytes,
      double memoryBandwidthBytesPerSecond,
      long launchOverheadNanos) {
    this(
        name,
        sustainedFlopsPerSecond,
        memoryBytes,
        memoryBandwidthBytesPerSecond,
        launchOverheadNanos,
        null);
  }

  public DeviceSpec {
    Checks.nonBlank("device name", name);
    Objects.requireNonNull(sustainedFlopsPerSecond, "sustainedFlopsPerSecond");
    if (sustainedFlopsPerSecond.isEmpty()) {
      throw new BadInputException(
          "device '" + name + "' has no sustainedFlopsPerSecond for any dtype");
    }
    EnumMap<DType, Double> copy = new EnumMap<>(DType.class);
    for (Map.Entry<DType, Double> e : sustainedFlopsPerSecond.entrySet()) {
      copy.put(
          Objects.requireNonNull(e.getKey(), "dtype"),
          Checks.positive(
              "device '" + name + "' sustainedFlopsPerSecond." + e.getKey().id(), e.getValue()));
    }
    sustainedFlopsPerSecond = Collections.unmodifiableMap(copy);
    Checks.positive("device '" + name + "' memoryBytes", memoryBytes);
    Checks.positive(
        "device '" + name + "' memoryBandwidthBytesPerSecond", memoryBandwidthBytesPerSecond);
    Checks.nonNegative("device '" + name + "' launchOverheadNanos", launchOverheadNanos);
  }

  /** A copy with fitted efficiencies (null: the preset's again). */
  public DeviceSpec withEfficiency(DeviceEfficiency fitted) {
    return new DeviceSpec(
        name,
        sustainedFlopsPerSecond,
        memoryBytes,
        memoryBandwidthBytesPerSecond,
        launchOverheadNanos,
        fitted);
  }

  /** A copy with another usable memory. */
  public DeviceSpec withMemoryBytes(long bytes) {
    return new DeviceSpec(
        name,
        sustainedFlopsPerSecond,
        bytes,
        memoryBandwidthBytesPerSecond,
        launchOverheadNanos,
        efficiency);
  }

  /**
   * Sustained FLOP/s for the dtype; a dtype the device has no entry for falls back to its fp32
   * rate.
   */
  public double flopsPerSecond(DType dtype) {
    Double rate = sustainedFlopsPerSecond.get(dtype);
    if (rate == null) {
      rate = sustainedFlopsPerSecond.get(DType.FP32);
    }
    if (rate == null) {
      throw new BadInputException(
          "device '" + name + "' has no sustainedFlopsPerSecond for " + dtype.id() + " nor fp32");
    }
    return rate;
  }
}
