package dev.pipeplan.simulator.cost.roofline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.zoo.Zoo;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The blocks' linear GEMMs in FP8, with their casts; FlashAttention-2's kernel. */
class Fp8LinearsTest {
  private static final ModelSpec LLAMA = Zoo.get("llama3-8b", 4096);
  private static final RooflineOptions BF16 =
      new RooflineOptions(
          AttentionKernel.FLASH, false, false, GradientAccumulation.FUSED, CrossEntropy.UNFUSED);
  private static final RooflineOptions FP8 =
      new RooflineOptions(
          AttentionKernel.FLASH,
          false,
          false,
          GradientAccumulation.FUSED,
          CrossEntropy.UNFUSED,
          true);

  /** The same options with the FP8 weights cast once an iteration. */
  private static RooflineOptions withWeightsCastOnce(RooflineOptions o) {
    return new RooflineOptions(
        o.attention(),
        o.sequenceParallel(),
        o.tensorParallelOverlap(),
        o.gradientAccumulation(),
        o.crossEntropy(),
        o.fp8Linears(),
        true);
  }

  private static List<Op> ops(int layer, Pass pass, RooflineOptions options) {
    return LayerOps.of(LLAMA.layer(layer), pass, 2, 1, 1, 2, ModelFeatures.of(LLAMA), options);
  }

  private static double memoryBytes(List<Op> ops) {
    return ops.stream()
        .filter(Op.MemoryOp.class::isInstance)
        .mapToDouble(op -> ((Op.MemoryOp) op).bytes())
        .sum();
  }

  private static double flops(List<Op> ops) {
    return ops.stream().mapToDouble(Op::flops).sum();
  }

  @Test
  void aBlocksFourLinearsRunInFp8InEveryPassWithTheirCasts() {
    for (Pass pass : Pass.values()) {
      List<Op> bf16 = ops(1, pass, BF16);
      List<Op> fp8 = ops(1, pass, FP8);
      // the same FLOPs, the model's own
      assertThat(flops(fp8)).isCloseTo(flops(bf16), within(1.0));
      List<Op.Gemm> gemms =
          fp8.stream().filter(Op.Gemm.class::isInstance).map(Op.Gemm.class::cast).toList();
      assertThat(gemms).hasSize(4).allMatch(Op.Gemm::fp8);
      // F casts the input and the weight of each; I the output gradient and a weight copy; W
      // makes one transposed copy of input and gradient
      long memoryOps = fp8.stream().filter(Op.MemoryOp.class::isInstance).count();
      long before = bf16.stream().filter(Op.MemoryOp.class::isInstance).count();
      assertThat(memoryOps - before).isEqualTo(pass == Pass.BACKWARD_WEIGHT ? 4 : 8);
    }
    // the attention core and the LM head stay in the training dtype
    assertThat(ops(1, Pass.FORWARD, FP8)).anyMatch(Op.FusedAttention.class::isInstance);
    int head = LLAMA.layerCount() - 1;
    assertThat(ops(head, Pass.FORWARD, FP8))
        .filteredOn(Op.Gemm.class::isInstance)
        .allMatch(op -> !((Op.Gemm) op).fp8());
  }

  @Test
  void weightsCastOnceAnIterationLeaveThePassesAndAreListedForTheStep() {
    RooflineOptions cached = withWeightsCastOnce(FP8);
    List<Op> casts = LayerOps.fp8WeightCasts(LLAMA.layer(1), 1, 2, ModelFeatures.of(LLAMA), cached);
    // a cast and a transposed copy for each of the four linear layers
    assertThat(casts).hasSize(8).allMatch(Op.MemoryOp.class::isInstance);
    double castBytes = memoryBytes(casts);
    // what F and I no longer move on every micro-batch is exactly what the step casts once
    double perMicroBatch = 0;
    for (Pass pass : Pass.values()) {
      perMicroBatch += memoryBytes(ops(1, pass, FP8)) - memoryBytes(ops(1, pass, cached));
    }
    assertThat(perMicroBatch).isCloseTo(castBytes, within(1.0));
    // the weights: 5 bytes a weight for the cast from bf16, 2 for the transposed copy
    long weights =
        casts.stream().map(Op.MemoryOp.class::cast).mapToLong(op -> (long) op.bytesWritten()).sum()
            / 2;
    assertThat(castBytes).isCloseTo(7.0 * weights, within(1.0));
    // the LM head has no FP8 weight, nor has a layer without FP8 linears
    int head = LLAMA.layerCount() - 1;
    assertThat(LayerOps.fp8WeightCasts(LLAMA.layer(head), 1, 2, ModelFeatures.of(LLAMA), cached))
        .isEmpty();
    assertThat(LayerOps.fp8WeightCasts(LLAMA.layer(1), 1, 2, ModelFeatures.of(LLAMA), BF16))
        .isEmpty();
  }

  @Test
  void anFp8GemmComputesAtTheFp8PeakAndReadsOneByteInputs() {
    DeviceSpec h100 = Clusters.load("h100:1x1").device(0);
    DeviceRoofline roofline = DeviceRoofline.of(h100, DType.BF16);
    assertThat(roofline.fp8PeakFlopsPerSecond())
        .isCloseTo(2 * roofline.peakFlopsPerSecond(), within(1e12));
    Op.Gemm gemm = Op.Gemm.of(8192, 8192, 8192);
    // the same efficiency at the FP8 peak (1979 TFLOP/s on the datasheet, against 989.4)
    double ratio = roofline.peakFlopsPerSecond() / roofline.fp8PeakFlopsPerSecond();
    assertThat(roofline.gemmComputeNanos(gemm.inFp8()))
        .isCloseTo(roofline.gemmComputeNanos(gemm) * ratio, within(1e-3));
    assertThat(gemm.inFp8().bytes(2)).isEqualTo(2.0 * 8192 * 8192 + 2.0 * 8192 * 8192);
    assertThat(gemm.bytes(2)).isEqualTo(3 * 2.0 * 8192 * 8192);
    DeviceRoofline a100 = DeviceRoofline.of(Clusters.load("a100-80gb:1x1").device(0), DType.BF16);
    assertThat(a100.fp8PeakFlopsPerSecond()).isZero();
    assertThatThrownBy(() -> a100.gemmComputeNanos(gemm.inFp8()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aBlockIsFasterInFp8ButNotTwiceAsFast() {
    DeviceRoofline h100 = DeviceRoofline.of(Clusters.load("h100:1x1").device(0), DType.BF16);
    double bf16 = 0;
    double fp8 = 0;
    for (Pass pass : Pass.values()) {
      bf16 += ops(1, pass, BF16).stream().mapToDouble(op -> op.nanos(h100)).sum();
      fp8 += ops(1, pass, FP8).stream().mapToDouble(op -> op.nanos(h100)).sum();
    }
    assertThat(fp8).isLessThan(bf16 * 0.85).isGreaterThan(bf16 / 2);
  }

  @Test
  void flashAttention2RunsTheSameKernelAtItsShareOfTheEfficiencyOnHopperOnly() {
    RooflineOptions flash2 =
        new RooflineOptions(
            AttentionKernel.FLASH2, false, false, GradientAccumulation.FUSED, CrossEntropy.UNFUSED);
    for (String cluster : new String[] {"h100:1x1", "a100-80gb:1x1"}) {
      DeviceRoofline device = DeviceRoofline.of(Clusters.load(cluster).device(0), DType.BF16);
      for (Pass pass : new Pass[] {Pass.FORWARD, Pass.BACKWARD_INPUT}) {
        Op.FusedAttention best = attention(ops(1, pass, BF16));
        Op.FusedAttention fa2 = attention(ops(1, pass, flash2));
        assertThat(fa2.flops()).isEqualTo(best.flops());
        assertThat(fa2.flashAttention2()).isTrue();
        double share = cluster.startsWith("h100") ? 0.62 : 1;
        assertThat(device.parameters().flashAttention2Share()).isEqualTo(share);
        assertThat(fa2.nanos(device)).isCloseTo(best.nanos(device) / share, within(1e-6));
      }
    }
  }

  private static Op.FusedAttention attention(List<Op> ops) {
    return ops.stream()
        .filter(Op.FusedAttention.class::isInstance)
        .map(Op.FusedAttention.class::cast)
        .findFirst()
        .orElseThrow();
  }
}
