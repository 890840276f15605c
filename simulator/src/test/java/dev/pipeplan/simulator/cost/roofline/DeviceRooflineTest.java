package dev.pipeplan.simulator.cost.roofline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.DType;
import dev.pipeplan.models.cluster.Clusters;
import org.junit.jupiter.api.Test;

/** Closed-form checks of the per-op roofline. */
class DeviceRooflineTest {
  /** Round numbers: 1 TFLOP/s peak, 100 GB/s, 2-byte elements, 128×128 tiles on 4 SMs, 1 µs. */
  private static final RooflineParameters ROUND =
      new RooflineParameters("round", 0.5, 0.8, 0.6, 0.4, 1_000, 128, 128, 4, "test");

  private static final DeviceRoofline DEVICE = new DeviceRoofline(1e12, 1e11, 2, ROUND);

  private static final DeviceRoofline H100 =
      DeviceRoofline.of(Clusters.device("h100-sxm"), DType.BF16);

  /** The H100 with its microbenchmark parameters, before any fit. */
  private static final DeviceRoofline H100_PRIOR =
      new DeviceRoofline(
          H100.peakFlopsPerSecond(),
          H100.memoryBandwidthBytesPerSecond(),
          2,
          RooflineParameters.prior("h100-sxm"));

  @Test
  void h100PeakIsTheDatasheetsAndItsParametersTheFittedPresets() {
    assertThat(H100.peakFlopsPerSecond()).isCloseTo(989.4e12, within(1e6));
    assertThat(H100.parameters().smCount()).isEqualTo(132);
    assertThat(RooflineParameters.prior("h100-sxm").peakGemmEfficiency()).isEqualTo(0.75);
    assertThat(H100.parameters().peakGemmEfficiency())
        .isEqualTo(RooflineParameters.fitted().get("h100-sxm").peakGemmEfficiency());
  }

  @Test
  void anH200ComputesAsTheFittedH100AndMovesBytesFaster() {
    // the same GH100 compute: with its prior (0.75 of peak) it planned 28% faster than an H100
    DeviceRoofline h200 = DeviceRoofline.of(Clusters.device("h200"), DType.BF16);
    DeviceRoofline h100 = DeviceRoofline.of(Clusters.device("h100-sxm"), DType.BF16);
    Op.Gemm big = Op.Gemm.of(8192, 8192, 8192);
    assertThat(h200.parameters().peakGemmEfficiency())
        .isEqualTo(h100.parameters().peakGemmEfficiency());
    assertThat(h200.gemmEfficiency(big)).isEqualTo(h100.gemmEfficiency(big));
    assertThat(h200.memoryBandwidthBytesPerSecond())
        .isGreaterThan(1.4 * h100.memoryBandwidthBytesPerSecond());
    assertThat(h200.parameters().source()).contains("h100-sxm fit");
    // a B200 has no published run fitted: it keeps the H100's fitted efficiencies, so that the
    // two compare by their datasheets, and spreads tiles over its 148 SMs
    DeviceRoofline b200 = DeviceRoofline.of(Clusters.device("b200"), DType.BF16);
    assertThat(b200.parameters().peakGemmEfficiency())
        .isEqualTo(h100.parameters().peakGemmEfficiency());
    assertThat(b200.parameters().smCount()).isEqualTo(148);
    assertThat(b200.parameters().source()).contains("h100-sxm fit, assumed");
    // likewise the A100 40 GB, whose prior moved bytes faster than the fitted 80 GB part
    DeviceRoofline a40 = DeviceRoofline.of(Clusters.device("a100-40gb"), DType.BF16);
    DeviceRoofline a80 = DeviceRoofline.of(Clusters.device("a100-80gb"), DType.BF16);
    assertThat(a40.gemmEfficiency(big)).isEqualTo(a80.gemmEfficiency(big));
    assertThat(a40.parameters().hbmEfficiency() * a40.memoryBandwidthBytesPerSecond())
        .isLessThan(a80.parameters().hbmEfficiency() * a80.memoryBandwidthBytesPerSecond());
  }

  @Test
  void gemmEfficiencyGrowsWithSizeAndIsCappedByThePeakParameter() {
    double previous = 0;
    for (long n = 128; n <= 16_384; n *= 2) {
      double efficiency = H100_PRIOR.gemmEfficiency(Op.Gemm.of(n, n, n));
      assertThat(efficiency).as("n = %d", n).isGreaterThanOrEqualTo(previous);
      assertThat(efficiency).as("n = %d", n).isLessThanOrEqualTo(0.75 + 1e-12);
      previous = efficiency;
    }
    assertThat(previous).isGreaterThan(0.74);
    // A token-by-hidden GEMM of a 7B model at one 4096-token sequence is near the peak too.
    assertThat(H100_PRIOR.gemmEfficiency(Op.Gemm.of(4096, 4096, 4096))).isGreaterThan(0.7);
  }

  @Test
  void aTinyGemmIsLatencyBound() {
    // 2 FLOPs and 6 elements: far below one launch.
    assertThat(DEVICE.gemmNanos(Op.Gemm.of(1, 1, 1))).isEqualTo(1_000.0);
  }

  @Test
  void aThinGemmIsMemoryBound() {
    // 2048 x 2048 x 16: 134,217,728 FLOPs; 256 tiles fill 64 waves of 4 SMs, so compute is
    // 134,217,728 / (1e12 x 0.5) = 268,435 ns. Memory: 2 x (2048·16 + 16·2048 + 2048·2048) bytes
    // = 8,519,680 bytes at 1e11 x 0.8 B/s = 106,496 ns. Make memory slower: 1e10 B/s gives
    // 1,064,960.
    DeviceRoofline slowMemory = new DeviceRoofline(1e12, 1e10, 2, ROUND);
    Op.Gemm thin = Op.Gemm.of(2048, 2048, 16);
    assertThat(DEVICE.gemmNanos(thin)).isCloseTo(268_435.456, within(1e-3));
    assertThat(slowMemory.gemmNanos(thin)).isCloseTo(1_064_960, within(1e-3));
  }

  @Test
  void tileQuantisationPadsTheLastRowAndColumnOfTiles() {
    // 129 x 128: two tile rows, the second holding one row of 128.
    assertThat(DEVICE.tileEfficiency(Op.Gemm.of(129, 128, 64)))
        .isCloseTo(129.0 / 256, within(1e-12));
  }

  @Test
  void oneTileMoreThanTheSmCountTakesTwoWaves() {
    RooflineParameters h100Like =
        new RooflineParameters("h100-like", 0.75, 0.9, 0.7, 0.5, 0, 128, 128, 132, "test");
    DeviceRoofline device = new DeviceRoofline(989.4e12, 3.35e12, 2, h100Like);
    Op.Gemm full = Op.Gemm.of(128 * 132, 128, 8192);
    Op.Gemm oneMore = Op.Gemm.of(128 * 133, 128, 8192);

    assertThat(device.waves(full)).isEqualTo(1);
    assertThat(device.waves(oneMore)).isEqualTo(2);
    assertThat(device.waveEfficiency(oneMore)).isCloseTo(133.0 / 264, within(1e-12));
    // 133/132 of the work in two waves instead of one: exactly twice the time.
    assertThat(device.gemmComputeNanos(oneMore) / device.gemmComputeNanos(full))
        .isCloseTo(2.0, within(1e-12));
  }

  @Test
  void aMemoryOpTakesItsBytesOverTheEfficientBandwidth() {
    // 4 MB over 1e11 x 0.8 B/s.
    assertThat(DEVICE.memoryOpNanos(new Op.MemoryOp(3e6, 1e6))).isCloseTo(50_000, within(1e-6));
    // A few bytes take one launch.
    assertThat(DEVICE.memoryOpNanos(new Op.MemoryOp(8, 8))).isEqualTo(1_000.0);
  }

  @Test
  void causalFusedAttentionRunsHalfItsFlopsAtItsOwnEfficiency() {
    Op.FusedAttention forward = new Op.FusedAttention(1.2e9, 0, true, false);
    Op.FusedAttention backward = new Op.FusedAttention(2.4e9, 0, true, true);
    // 0.6e9 FLOPs at 0.6 TFLOP/s; 1.2e9 at 0.4.
    assertThat(DEVICE.attentionNanos(forward)).isCloseTo(1_000_000, within(1e-6));
    assertThat(DEVICE.attentionNanos(backward)).isCloseTo(3_000_000, within(1e-6));
    assertThat(backward.kernels()).isEqualTo(2);
  }
}
