package dev.pipeplan.models;

import java.util.Objects;

/**
 * What a device reaches of its datasheet numbers, fitted to measured training runs by {@code
 * pipeplan calibrate}: the efficiencies the per-op roofline prices GEMMs, memory-bound kernels and
 * fused attention with. A device without them uses its preset's (see {@code docs/design.md}, "Cost
 * models").
 *
 * @param peakGemmEfficiency fraction of the dense datasheet peak the best large GEMM reaches
 * @param hbmEfficiency fraction of the datasheet memory bandwidth a streaming kernel reaches
 * @param flashForwardEfficiency fraction of peak the fused attention forward reaches
 * @param flashBackwardEfficiency the same for the fused attention backward
 * @param source where the numbers come from, in one line (the measurements they were fitted to)
 */
public record DeviceEfficiency(
    double peakGemmEfficiency,
    double hbmEfficiency,
    double flashForwardEfficiency,
    double flashBackwardEfficiency,
    String source) {

  public DeviceEfficiency {
    fraction("peakGemmEfficiency", peakGemmEfficiency);
    fraction("hbmEfficiency", hbmEfficiency);
    fraction("flashForwardEfficiency", flashForwardEfficiency);
    fraction("flashBackwardEfficiency", flashBackwardEfficiency);
    Objects.requireNonNull(source, "source");
  }

  private static void fraction(String field, double value) {
    if (!(value > 0 && value <= 1)) {
      throw new BadInputException("efficiency." + field + " must be in (0, 1], got " + value);
    }
  }

  /** The same efficiencies, said to come from {@code newSource} (a sibling device's fit). */
  public DeviceEfficiency withSource(String newSource) {
    return new DeviceEfficiency(
        peakGemmEfficiency,
        hbmEfficiency,
        flashForwardEfficiency,
        flashBackwardEfficiency,
        newSource);
  }
}
