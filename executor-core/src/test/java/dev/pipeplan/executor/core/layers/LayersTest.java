package dev.pipeplan.executor.core.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.SubLayers;
import dev.pipeplan.models.zoo.ProjectionBiases;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.TransformerLayers;
import dev.pipeplan.models.zoo.Zoo;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Building the shared layers from a model's layer shapes. */
class LayersTest {
  private static LayerSpec spec(String name, LayerKind kind, LayerShape shape) {
    return new LayerSpec(name, kind, shape, 1, 1, 1, 1, 0, 0, null);
  }

  @Test
  void buildsAnMlpFromItsInHiddenAndOutWidths() {
    HostOps ops = new HostOps();
    Layer<?> layer =
        Layers.build(
            ops, spec("mlp1", LayerKind.MLP, LayerShape.Mlp.of(5, 7, 3)), new SplittableRandom(1));
    assertThat(layer).isInstanceOf(MlpLayer.class);
    assertThat(layer.parameters())
        .extracting(Param::name)
        .containsExactly("mlp1.up.weight", "mlp1.up.bias", "mlp1.down.weight", "mlp1.down.bias");
    assertThat(layer.parameters()).extracting(Param::length).containsExactly(35L, 7L, 21L, 3L);
  }

  @Test
  void buildsABlockWithItsHeadWidthAndItsProjectionBiasesAsTheModelCountsThem() {
    // A Qwen2-style block (q/k/v biases, no others) with heads of 16 over a hidden width of 32.
    ModelSpec model =
        TransformerLayers.build(
            TransformerConfig.llama("wide", 64, 32, 1, 4, 2, 48, 8, DType.FP32)
                .withHeadDim(16)
                .withProjectionBiases(ProjectionBiases.QKV));
    LayerSpec block = model.layer(1);
    Layer<?> layer = Layers.build(new HostOps(), block, new SplittableRandom(1));
    assertThat(layer.parameters())
        .extracting(Param::name)
        .contains("block0.q.bias", "block0.k.bias", "block0.v.bias")
        .doesNotContain("block0.o.bias", "block0.up.bias", "block0.down.bias");
    long q = 4 * 16;
    assertThat(layer.parameters())
        .filteredOn(p -> p.name().equals("block0.q.weight") || p.name().equals("block0.o.weight"))
        .extracting(Param::length)
        .containsExactly(32 * q, q * 32);
    // bias 0: RMSNorms, one gain vector each, as the model counts them
    assertThat(layer.parameters())
        .extracting(Param::name)
        .contains("block0.ln1.gain", "block0.ln2.gain")
        .doesNotContain("block0.ln1.shift", "block0.ln2.shift");
    assertThat(layer.parameters().stream().mapToLong(Param::length).sum())
        .isEqualTo(block.parameterCount());
  }

  @Test
  void buildsAQwen3BlockWithItsQueryAndKeyNormsAsTheModelCountsThem() {
    ModelSpec qwen3 =
        TransformerLayers.build(
            TransformerConfig.llama("qwen3-like", 64, 32, 1, 4, 2, 48, 8, DType.FP32)
                .withHeadDim(16)
                .withQkNorm(true));
    Layer<?> layer = Layers.build(new HostOps(), qwen3, 1, new SplittableRandom(1));
    assertThat(layer.parameters())
        .filteredOn(p -> p.name().endsWith("norm.gain"))
        .extracting(Param::name, Param::length)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("block0.qnorm.gain", 16L),
            org.assertj.core.groups.Tuple.tuple("block0.knorm.gain", 16L));
    assertThat(layer.parameters().stream().mapToLong(Param::length).sum())
        .isEqualTo(qwen3.layer(1).parameterCount());
  }

  @Test
  void everyLayerOfALlamaModelHasTheParametersTheModelCounts() {
    ModelSpec llama = Zoo.get("llama-tiny-cpu");
    HostOps ops = new HostOps();
    for (int l = 0; l < llama.layerCount(); l++) {
      Layer<?> layer = Layers.build(ops, llama, l, new SplittableRandom(1));
      assertThat(layer.parameters().stream().mapToLong(Param::length).sum())
          .as(llama.layer(l).name())
          .isEqualTo(llama.layer(l).parameterCount());
      layer.release(ops);
    }
    // the head's final norm follows the blocks: an RMSNorm here, a layer norm in GPT-2
    assertThat(
            Layers.build(ops, llama, llama.layerCount() - 1, new SplittableRandom(1)).parameters())
        .extracting(Param::name)
        .containsExactly("lm_head.norm.gain", "lm_head.proj.weight");
    ModelSpec gpt = Zoo.get("gpt-tiny");
    assertThat(Layers.build(ops, gpt, gpt.layerCount() - 1, new SplittableRandom(1)).parameters())
        .extracting(Param::name)
        .containsExactly("lm_head.norm.gain", "lm_head.norm.shift", "lm_head.proj.weight");
  }

  @Test
  void aRotaryModelsBlockWithoutRopeThetaRotatesWithLlamasBase() {
    ModelSpec llama = Zoo.get("llama-tiny-cpu", 4);
    LayerShape.TransformerBlock shape = (LayerShape.TransformerBlock) llama.layer(1).shape();
    assertThat(shape.ropeTheta()).hasValue(10_000);
    LayerSpec b = llama.layer(1);
    LayerSpec old =
        new LayerSpec(
            b.name(),
            b.kind(),
            shape.withRopeTheta(java.util.OptionalLong.empty()),
            b.forwardFlops(),
            b.backwardInputFlops(),
            b.backwardWeightFlops(),
            b.parameterCount(),
            b.savedActivationBytes(),
            b.outputBytes(),
            b.measured(),
            b.activations());
    List<LayerSpec> layers = new java.util.ArrayList<>(llama.layers());
    layers.set(1, old);
    ModelSpec oldFile = new ModelSpec(llama.name(), layers, llama.dtype(), llama.sequenceLength());
    double[] recorded = blockOutput(llama, llama.layer(1));
    double[] defaulted = blockOutput(oldFile, old);
    double[] alone = blockOutput(new ModelSpec("alone", List.of(old), llama.dtype(), 4), old);
    assertThat(defaulted).containsExactly(recorded);
    assertThat(alone).isNotEqualTo(recorded);
  }

  /** The forward output of {@code block}, built in {@code model}'s style, on a fixed input. */
  private static double[] blockOutput(ModelSpec model, LayerSpec block) {
    HostOps ops = new HostOps();
    Layer<?> layer = Layers.build(ops, block, ModelStyle.of(model), new SplittableRandom(3));
    int seq = 4;
    int hidden = 256;
    float[] x = new float[seq * hidden];
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    DeviceBatch data = DeviceBatch.upload(ops, new int[seq], new int[seq], 1, seq, seq, 1);
    return HostOps.values(layer.forward(ops, 0, ops.upload(x), data)).clone();
  }

  @Test
  void theSameStreamGivesTheSameWeights() {
    LayerSpec mlp = spec("mlp1", LayerKind.MLP, LayerShape.Mlp.of(4, 4, 4));
    HostOps ops = new HostOps();
    Layer<?> a = Layers.build(ops, mlp, new SplittableRandom(9));
    Layer<?> b = Layers.build(ops, mlp, new SplittableRandom(9));
    assertThat(HostOps.values(a.parameters().get(0).value()))
        .containsExactly(HostOps.values(b.parameters().get(0).value()));
  }

  @Test
  void refusesPiecesOfLayers() {
    HostOps ops = new HostOps();
    ModelSpec pieces = SubLayers.split(Zoo.get("gpt-tiny"), SubLayers.Unit.SUBLAYER, 2);
    for (LayerSpec layer : pieces.layers()) {
      if (SubLayers.isPiece(layer)) {
        assertThatThrownBy(() -> Layers.build(ops, layer, new SplittableRandom(1)))
            .as(layer.name())
            .isInstanceOf(BadInputException.class)
            .hasMessageContaining("layer '" + layer.name() + "' is a piece of a layer")
            .hasMessageContaining("--partition-unit");
      } else {
        assertThat(Layers.build(ops, layer, new SplittableRandom(1))).isNotNull();
      }
    }
  }

  @Test
  void rejectsKindsWithoutALayerAndBadWidths() {
    HostOps ops = new HostOps();
    assertThatThrownBy(
            () ->
                Layers.build(
                    ops,
                    spec("c", LayerKind.CONV, LayerShape.of(LayerKind.CONV, Map.of("in", 1L))),
                    new SplittableRandom(1)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("layer 'c' is of kind conv")
        .hasMessageContaining("embedding, transformer_block, mlp and lm_head");
    // a width of 0 is refused by the shape itself; one past an int by the layer builder
    assertThatThrownBy(() -> LayerShape.Mlp.of(0, 2, 2))
        .isInstanceOf(BadInputException.class)
        .hasMessage("an mlp's 'in' must be >= 1, got 0");
    assertThatThrownBy(
            () ->
                Layers.build(
                    ops,
                    spec("m", LayerKind.MLP, LayerShape.Mlp.of(1L << 31, 2, 2)),
                    new SplittableRandom(1)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("layer 'm' shape in (2147483648) must be in 1..");
    assertThatThrownBy(
            () ->
                Layers.build(
                    ops,
                    spec(
                        "m",
                        LayerKind.MLP,
                        LayerShape.of(LayerKind.MLP, Map.of("in", 2L, "hidden", 2L))),
                    new SplittableRandom(1)))
        .isInstanceOf(BadInputException.class)
        .hasMessage("layer 'm' (mlp) has no shape parameter 'out'");
  }

  @Test
  void aRotaryModelsEmbeddingHasATokenTableOnly() {
    // positions 0 (refused before the executor ran Llama-style models)
    LayerSpec embedding = Zoo.get("llama-tiny-cpu").layer(0);
    assertThat(embedding.kind()).isEqualTo(LayerKind.EMBEDDING);
    Layer<?> layer = Layers.build(new HostOps(), embedding, new SplittableRandom(1));
    assertThat(layer.parameters()).extracting(Param::name).containsExactly("embedding.tokens");
    assertThat(layer.parameters().get(0).length()).isEqualTo(embedding.parameterCount());
  }
}
