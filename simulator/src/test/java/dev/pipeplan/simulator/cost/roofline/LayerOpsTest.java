package dev.pipeplan.simulator.cost.roofline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.TransformerLayers;
import dev.pipeplan.models.zoo.Zoo;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The op lists against the model's own FLOP counts, and their kernel counts. */
class LayerOpsTest {
  private static final LinkSpec NVLINK = new LinkSpec("nvlink", 360e9, 5_000);

  private static double flops(List<Op> ops) {
    double total = 0;
    for (Op op : ops) {
      total += op.flops();
    }
    return total;
  }

  private static List<Op> ops(
      ModelSpec model, int layer, Pass pass, int b, int t, AttentionKernel attention) {
    return LayerOps.of(
        model.layer(layer),
        pass,
        b,
        t,
        model.dtype().bytes(),
        ModelFeatures.of(model),
        new RooflineOptions(
            attention, false, false, GradientAccumulation.FUSED, CrossEntropy.UNFUSED));
  }

  @Test
  void anUnfusedGradientAccumulationStreamsTheRanksWeightGradientsOnceMoreInW() {
    ModelSpec model = Zoo.get("llama2-7b");
    int block = 1;
    long parameters = model.layer(block).parameterCount();
    int t = 4;
    for (GradientAccumulation mode : GradientAccumulation.values()) {
      RooflineOptions options =
          new RooflineOptions(AttentionKernel.FLASH, false, false, mode, CrossEntropy.UNFUSED);
      RooflineOptions fused =
          new RooflineOptions(
              AttentionKernel.FLASH,
              false,
              false,
              GradientAccumulation.FUSED,
              CrossEntropy.UNFUSED);
      double extra =
          bytes(
                  LayerOps.of(
                      model.layer(block),
                      Pass.BACKWARD_WEIGHT,
                      2,
                      t,
                      2,
                      ModelFeatures.of(model),
                      options))
              - bytes(
                  LayerOps.of(
                      model.layer(block),
                      Pass.BACKWARD_WEIGHT,
                      2,
                      t,
                      2,
                      ModelFeatures.of(model),
                      fused));
      // bf16: fused 0, fp32-add 2 + 4 + 4, fp32-cast-add 2 + 4 + 4 + 4 + 4, in-place 2 + 2 + 2.
      int perParameter =
          switch (mode) {
            case FUSED -> 0;
            case FP32_ADD -> 10;
            case FP32_CAST_ADD -> 18;
            case IN_PLACE -> 6;
          };
      assertThat(extra)
          .as(mode.id())
          .isCloseTo((double) parameters / t * perParameter, within(1.0));
      // F and I do not change.
      assertThat(
              bytes(
                  LayerOps.of(
                      model.layer(block), Pass.FORWARD, 2, t, 2, ModelFeatures.of(model), options)))
          .isEqualTo(
              bytes(
                  LayerOps.of(
                      model.layer(block), Pass.FORWARD, 2, t, 2, ModelFeatures.of(model), fused)));
    }
  }

  @Test
  void aFusedCrossEntropyMakesTwoSixteenBitPassesInFAndOneInI() {
    ModelSpec model = Zoo.get("llama2-7b");
    int head = model.layerCount() - 1;
    int b = 2;
    int t = 4;
    RooflineOptions unfused =
        new RooflineOptions(
            AttentionKernel.FLASH, false, false, GradientAccumulation.FUSED, CrossEntropy.UNFUSED);
    RooflineOptions fused =
        new RooflineOptions(
            AttentionKernel.FLASH, false, false, GradientAccumulation.FUSED, CrossEntropy.FUSED);
    LayerShape.LmHead shape = (LayerShape.LmHead) model.layer(head).shape();
    double logits =
        (double) b * shape.seq().getAsLong() * Math.ceil(shape.vocab().getAsLong() / (double) t);
    double forwardSaved =
        bytes(
                LayerOps.of(
                    model.layer(head), Pass.FORWARD, b, t, 2, ModelFeatures.of(model), unfused))
            - bytes(
                LayerOps.of(
                    model.layer(head), Pass.FORWARD, b, t, 2, ModelFeatures.of(model), fused));
    double inputSaved =
        bytes(
                LayerOps.of(
                    model.layer(head),
                    Pass.BACKWARD_INPUT,
                    b,
                    t,
                    2,
                    ModelFeatures.of(model),
                    unfused))
            - bytes(
                LayerOps.of(
                    model.layer(head),
                    Pass.BACKWARD_INPUT,
                    b,
                    t,
                    2,
                    ModelFeatures.of(model),
                    fused));
    // unfused F: (2 + 4) + 4 + 8 + 8 + 4 + 8 = 38 bytes per logit; fused: 2 + (2 + 2) = 6
    assertThat(forwardSaved).isCloseTo(32 * logits, within(1.0));
    // unfused I: 8 + (4 + 2) = 14; fused: 2 + 2 = 4
    assertThat(inputSaved).isCloseTo(10 * logits, within(1.0));
    // the GEMMs are the same
    assertThat(
            flops(
                LayerOps.of(
                    model.layer(head), Pass.FORWARD, b, t, 2, ModelFeatures.of(model), fused)))
        .isEqualTo(
            flops(
                LayerOps.of(
                    model.layer(head), Pass.FORWARD, b, t, 2, ModelFeatures.of(model), unfused)));
  }

  private static double bytes(List<Op> ops) {
    double total = 0;
    for (Op op : ops) {
      if (op instanceof Op.MemoryOp m) {
        total += m.bytes();
      }
    }
    return total;
  }

  @ParameterizedTest
  @CsvSource({
    "llama2-7b, FLASH",
    "llama2-7b, EAGER",
    "llama2-70b, FLASH",
    "llama3-8b, EAGER",
    "gpt3-1.3b, FLASH",
    "gpt2-small, EAGER"
  })
  void opFlopsOfEveryLayerMatchTheModelsOwnCount(String name, AttentionKernel attention) {
    ModelSpec model = Zoo.get(name);
    for (int i = 0; i < model.layerCount(); i++) {
      LayerSpec layer = model.layer(i);
      int b = 2;
      assertThat(flops(ops(model, i, Pass.FORWARD, b, 1, attention)))
          .as("%s F", layer.name())
          .isCloseTo(
              layer.kind() == LayerKind.EMBEDDING ? 0 : b * layer.forwardFlops(),
              within(0.01 * b * layer.forwardFlops()));
      assertThat(flops(ops(model, i, Pass.BACKWARD_INPUT, b, 1, attention)))
          .as("%s I", layer.name())
          .isCloseTo(b * layer.backwardInputFlops(), within(0.01 * b * layer.backwardInputFlops()));
      if (layer.kind() != LayerKind.EMBEDDING) {
        assertThat(flops(ops(model, i, Pass.BACKWARD_WEIGHT, b, 1, attention)))
            .as("%s W", layer.name())
            .isCloseTo(
                b * layer.backwardWeightFlops(), within(0.01 * b * layer.backwardWeightFlops()));
      }
    }
  }

  @Test
  void headsWiderThanHiddenOverHeadsShapeTheAttentionGemms() {
    // Qwen3-4B's block: 32 heads of 128 (4096) over a hidden width of 2560, 8 key/value heads.
    ModelSpec model =
        TransformerLayers.build(
            TransformerConfig.llama("qwen3-4b", 151936, 2560, 2, 32, 8, 9728, 1024, DType.BF16)
                .withHeadDim(128)
                .withQkNorm(true));
    List<Op> forward = ops(model, 1, Pass.FORWARD, 1, 1, AttentionKernel.EAGER);
    List<Op.Gemm> gemms =
        forward.stream().filter(Op.Gemm.class::isInstance).map(Op.Gemm.class::cast).toList();
    // QKV (T x (4096 + 2 x 1024) x 2560), Q·Kᵀ over d = 128, ·V, output (T x 2560 x 4096), MLP.
    assertThat(gemms.get(0)).isEqualTo(Op.Gemm.of(1024, 4096 + 2 * 1024, 2560));
    assertThat(gemms.get(1)).isEqualTo(new Op.Gemm(1024, 1024, 128, 32));
    assertThat(gemms.get(2)).isEqualTo(new Op.Gemm(1024, 128, 1024, 32));
    assertThat(gemms.get(3)).isEqualTo(Op.Gemm.of(1024, 2560, 4096));
    LayerSpec block = model.layer(1);
    for (AttentionKernel attention : AttentionKernel.values()) {
      assertThat(flops(ops(model, 1, Pass.FORWARD, 1, 1, attention)))
          .isCloseTo(block.forwardFlops(), within(1e-9 * block.forwardFlops()));
      assertThat(flops(ops(model, 1, Pass.BACKWARD_INPUT, 1, 1, attention)))
          .isCloseTo(block.backwardInputFlops(), within(1e-9 * block.backwardInputFlops()));
      assertThat(flops(ops(model, 1, Pass.BACKWARD_WEIGHT, 1, 1, attention)))
          .isCloseTo(block.backwardWeightFlops(), within(1e-9 * block.backwardWeightFlops()));
    }
  }

  @Test
  void tensorParallelRanksShareABlocksFlops() {
    ModelSpec model = Zoo.get("llama2-7b");
    LayerSpec block = model.layer(1);
    assertThat(flops(ops(model, 1, Pass.FORWARD, 1, 4, AttentionKernel.FLASH)))
        .isCloseTo(block.forwardFlops() / 4, within(1e-6 * block.forwardFlops()));
  }

  @Test
  void aLlamaBlockForwardIsElevenKernelsAndATinyOneIsLaunchBound() {
    // norm, QKV, rotary, attention, output, residual, norm, MLP up, SiLU·mul, MLP down, residual.
    ModelSpec tiny =
        TransformerLayers.build(
            new TransformerConfig(
                "tiny-llama", 256, 64, 2, 4, 4, 128, 0, true, false, false, 8, DType.BF16));
    LayerRoofline roofline =
        new LayerRoofline(tiny, DType.BF16, RooflineOptions.defaults(), NVLINK);
    DeviceRoofline h100 = DeviceRoofline.of(Clusters.device("h100-sxm"), DType.BF16);
    assertThat(roofline.features()).isEqualTo(new ModelFeatures(true, false, true));
    assertThat(roofline.kernels(1, Pass.FORWARD, 1, 1)).isEqualTo(11);
    // Every kernel of a 64-wide, 8-token block is far shorter than one launch.
    assertThat(roofline.nanos(h100, 1, Pass.FORWARD, 1, 1))
        .isEqualTo(11 * h100.parameters().kernelLaunchNanos());
    // I: 2 residuals, 2 norms, the activation, rotary, 4 dX GEMMs, attention backward (2 kernels).
    assertThat(roofline.kernels(1, Pass.BACKWARD_INPUT, 1, 1)).isEqualTo(12);
    assertThat(roofline.kernels(1, Pass.BACKWARD_WEIGHT, 1, 1)).isEqualTo(4);
  }

  @Test
  void gptBlocksHaveDropoutAndNoRotary() {
    assertThat(ModelFeatures.of(Zoo.get("gpt3-1.3b")))
        .isEqualTo(new ModelFeatures(false, true, true));
    assertThat(ModelFeatures.of(Zoo.get("llama3-8b")))
        .isEqualTo(new ModelFeatures(true, false, true));
  }

  @Test
  void aLayerWithoutShapeIsItsFlopsPlusItsWeights() {
    LayerSpec conv =
        new LayerSpec(
            "conv",
            LayerKind.CONV,
            LayerShape.unknown(LayerKind.CONV),
            1e9,
            2e9,
            3e9,
            1000,
            0,
            8,
            null);
    List<Op> forward =
        LayerOps.of(
            conv,
            Pass.FORWARD,
            4,
            2,
            2,
            new ModelFeatures(false, false, true),
            RooflineOptions.defaults());
    assertThat(forward).containsExactly(new Op.Unshaped(2e9, 1000));
  }

  @Test
  void theBlocksAllReducesAreInFAndIOnly() {
    ModelSpec model = Zoo.get("llama2-7b");
    LayerSpec block = model.layer(1);
    double bytes = block.outputBytes() * 2.0;
    double one = Collectives.allReduceNanos(bytes, 8, NVLINK);
    assertThat(one).isCloseTo(2.0 * 7 / 8 * bytes / 360e9 * 1e9 + 2 * 7 * 5_000, within(1e-6));
    assertThat(Collectives.tensorParallelNanos(block, Pass.FORWARD, 2, 8, 2, false, NVLINK))
        .isCloseTo(2 * one, within(1e-6));
    assertThat(Collectives.tensorParallelNanos(block, Pass.BACKWARD_WEIGHT, 2, 8, 2, false, NVLINK))
        .isZero();
    // Sequence parallelism: a reduce-scatter and an all-gather move what one all-reduce does.
    assertThat(Collectives.tensorParallelNanos(block, Pass.BACKWARD_INPUT, 2, 8, 2, true, NVLINK))
        .isCloseTo(2 * one, within(1e-6));
  }
}
