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
    // The executor's norms are LayerNorms (weight and bias) where the model counts RMSNorm weights.
    long norms = 2 * 32;
    assertThat(layer.parameters().stream().mapToLong(Param::length).sum())
        .isEqualTo(block.parameterCount() + norms);
  }

  @Test
  void refusesABlockWithQueryKeyNorms() {
    ModelSpec qwen3 =
        TransformerLayers.build(
            TransformerConfig.llama("qwen3-like", 64, 32, 1, 4, 2, 48, 8, DType.FP32)
                .withQkNorm(true));
    assertThatThrownBy(() -> Layers.build(new HostOps(), qwen3.layer(1), new SplittableRandom(1)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("layer 'block0' has qkNorm 1");
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
  void refusesARotaryModelsEmbeddingByWhatItIs() {
    // llama2-7b's embedding: positions 0 ("must be in 1..2147483647" before)
    LayerSpec embedding = Zoo.get("llama2-7b").layer(0);
    assertThat(embedding.kind()).isEqualTo(LayerKind.EMBEDDING);
    assertThatThrownBy(() -> Layers.build(new HostOps(), embedding, new SplittableRandom(1)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("has no learned positions (positions 0: rotary")
        .hasMessageContaining("GPT-style models only");
  }
}
