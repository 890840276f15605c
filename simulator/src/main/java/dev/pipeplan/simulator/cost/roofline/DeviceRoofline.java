package dev.pipeplan.simulator.cost.roofline;

import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.cluster.Clusters;
import java.util.Objects;

/**
 * One device, one dtype, as the roofline prices ops on it.
 *
 * <pre>
 *   GEMM         max(2mnk / (P · g · tile · wave),  e·(mk + kn + mn) / (M · η),  launch)
 *     tile  = m·n / (⌈m/Tm⌉·Tm · ⌈n/Tn⌉·Tn)             (padding of the last row and column of tiles)
 *     wave  = tiles / (⌈tiles / SMs⌉ · SMs)             (the last wave's idle SMs)
 *   memory op    max((read + written) / (M · η),  launch)
 *   attention    max(FLOPs run / (P · f),  bytes / (M · η),  kernels · launch)
 * </pre>
 *
 * with P the datasheet peak, g the peak GEMM efficiency, M the memory bandwidth, η its efficiency,
 * f the fused attention's efficiency, e the dtype's bytes (see {@link RooflineParameters}).
 *
 * @param peakFlopsPerSecond the datasheet's dense peak for the dtype
 * @param memoryBandwidthBytesPerSecond the datasheet's memory bandwidth
 * @param bytesPerElement the dtype's size
 * @param parameters the device's efficiencies, tiles and SM count
 * @param fp8PeakFlopsPerSecond the datasheet's dense FP8 peak, which FP8 GEMMs run at (at the same
 *     efficiency g); 0 for a device without FP8 tensor cores
 */
public record DeviceRoofline(
    double peakFlopsPerSecond,
    double memoryBandwidthBytesPerSecond,
    int bytesPerElement,
    RooflineParameters parameters,
    double fp8PeakFlopsPerSecond) {

  public DeviceRoofline {
    if (!(peakFlopsPerSecond > 0) || Double.isInfinite(peakFlopsPerSecond)) {
      throw new IllegalArgumentException(
          "peakFlopsPerSecond must be finite and > 0, got " + peakFlopsPerSecond);
    }
    if (!(memoryBandwidthBytesPerSecond > 0) || Double.isInfinite(memoryBandwidthBytesPerSecond)) {
      throw new IllegalArgumentException(
          "memoryBandwidthBytesPerSecond must be finite and > 0, got "
              + memoryBandwidthBytesPerSecond);
    }
    if (bytesPerElement < 1) {
      throw new IllegalArgumentException("bytesPerElement must be >= 1, got " + bytesPerElement);
    }
    Objects.requireNonNull(parameters, "parameters");
    if (!(fp8PeakFlopsPerSecond >= 0) || Double.isInfinite(fp8PeakFlopsPerSecond)) {
      throw new IllegalArgumentException(
          "fp8PeakFlopsPerSecond must be finite and >= 0, got " + fp8PeakFlopsPerSecond);
    }
  }

  /** A device without FP8 tensor cores (or whose FP8 rate does not matter). */
  public DeviceRoofline(
      double peakFlopsPerSecond,
      double memoryBandwidthBytesPerSecond,
      int bytesPerElement,
      RooflineParameters parameters) {
    this(peakFlopsPerSecond, memoryBandwidthBytesPerSecond, bytesPerElement, parameters, 0);
  }

  /**
   * A device's roofline for a dtype: the device's sustained rate is {@link
   * Clusters#SUSTAINED_FRACTION} of its datasheet peak, so the peak is read back from it.
   */
  public static DeviceRoofline of(DeviceSpec device, DType dtype) {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(dtype, "dtype");
    Double fp8 = device.sustainedFlopsPerSecond().get(DType.FP8);
    return new DeviceRoofline(
        device.flopsPerSecond(dtype) / Clusters.SUSTAINED_FRACTION,
        device.memoryBandwidthBytesPerSecond(),
        dtype.bytes(),
        RooflineParameters.of(device),
        fp8 == null ? 0 : fp8 / Clusters.SUSTAINED_FRACTION);
  }

  private double launchNanos(int kernels) {
    return (double) kernels * parameters.kernelLaunchNanos();
  }

  private double streamNanos(double bytes) {
    return bytes / (memoryBandwidthBytesPerSecond * parameters.hbmEfficiency()) * 1e9;
  }

  /** The fraction of a tile grid's area that is the GEMM's own output. */
  public double tileEfficiency(Op.Gemm gemm) {
    double rows = ceilDiv(gemm.m(), parameters.tileRows()) * (double) parameters.tileRows();
    double columns =
        ceilDiv(gemm.n(), parameters.tileColumns()) * (double) parameters.tileColumns();
    return gemm.m() / rows * (gemm.n() / columns);
  }

  /** Output tiles of a (batched) GEMM: what is spread over the SMs. */
  public long tiles(Op.Gemm gemm) {
    return ceilDiv(gemm.m(), parameters.tileRows())
        * ceilDiv(gemm.n(), parameters.tileColumns())
        * gemm.count();
  }

  /** Waves of tiles over the SMs. */
  public long waves(Op.Gemm gemm) {
    return ceilDiv(tiles(gemm), parameters.smCount());
  }

  /** The fraction of SM-waves that hold a tile. */
  public double waveEfficiency(Op.Gemm gemm) {
    return tiles(gemm) / ((double) waves(gemm) * parameters.smCount());
  }

  /** The GEMM's time if memory were free. */
  public double gemmComputeNanos(Op.Gemm gemm) {
    if (gemm.fp8() && fp8PeakFlopsPerSecond == 0) {
      throw new IllegalArgumentException("an FP8 GEMM on a device without an FP8 rate");
    }
    double rate =
        (gemm.fp8() ? fp8PeakFlopsPerSecond : peakFlopsPerSecond)
            * parameters.peakGemmEfficiency()
            * tileEfficiency(gemm)
            * waveEfficiency(gemm);
    return gemm.flops() / rate * 1e9;
  }

  /** The GEMM's time if math were free: A, B and C through memory once. */
  public double gemmMemoryNanos(Op.Gemm gemm) {
    return streamNanos(gemm.bytes(bytesPerElement));
  }

  public double gemmNanos(Op.Gemm gemm) {
    return Math.max(
        Math.max(gemmComputeNanos(gemm), gemmMemoryNanos(gemm)), launchNanos(gemm.kernels()));
  }

  /** Achieved fraction of the datasheet peak: at most the peak GEMM efficiency. */
  public double gemmEfficiency(Op.Gemm gemm) {
    return gemm.flops() / (gemmNanos(gemm) * 1e-9) / peakFlopsPerSecond;
  }

  public double memoryOpNanos(Op.MemoryOp op) {
    return Math.max(streamNanos(op.bytes()), launchNanos(op.kernels()));
  }

  public double attentionNanos(Op.FusedAttention op) {
    double efficiency =
        (op.backward() ? parameters.flashBackwardEfficiency() : parameters.flashForwardEfficiency())
            * (op.flashAttention2() ? parameters.flashAttention2Share() : 1);
    double compute = op.executedFlops() / (peakFlopsPerSecond * efficiency) * 1e9;
    return Math.max(Math.max(compute, streamNanos(op.bytes())), launchNanos(op.kernels()));
  }

  public double unshapedNanos(Op.Unshaped op) {
    return op.flops() / (peakFlopsPerSecond * parameters.peakGemmEfficiency()) * 1e9
        + streamNanos(op.bytes());
  }

  private static long ceilDiv(long value, long divisor) {
    return (value + divisor - 1) / divisor;
  }
}
