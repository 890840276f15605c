package dev.pipeplan.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.zoo.Zoo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LayerShapeTest {

  @Test
  void everyZooLayerTypesItsShapeByKindAndGivesBackTheSameMap() {
    for (String name : Zoo.names()) {
      for (LayerSpec layer : Zoo.get(name).layers()) {
        LayerShape again = LayerShape.of(layer.kind(), layer.shape().values());
        assertThat(again).as(name + " " + layer.name()).isEqualTo(layer.shape());
        assertThat(LayerShape.suits(layer.shape(), layer.kind())).isTrue();
      }
    }
  }

  @Test
  void aBlockMapBecomesTypedDimensionsInSortedKeyOrder() {
    Map<String, Long> file = new LinkedHashMap<>();
    file.put("seq", 1024L);
    file.put("hidden", 768L);
    file.put("heads", 12L);
    file.put("kvHeads", 4L);
    file.put("ffn", 3072L);
    file.put("gated", 1L);
    file.put("bias", 0L);
    LayerShape shape = LayerShape.of(LayerKind.TRANSFORMER_BLOCK, file);

    assertThat(shape)
        .isEqualTo(LayerShape.TransformerBlock.of(768, 12, 4, 3072, 1024, true, false));
    LayerShape.TransformerBlock block = (LayerShape.TransformerBlock) shape;
    assertThat(block.kvHeads()).isEqualTo(OptionalLong.of(4));
    assertThat(block.dropout()).isEmpty();
    assertThat(List.copyOf(shape.values().keySet()))
        .containsExactly("bias", "ffn", "gated", "heads", "hidden", "kvHeads", "seq");
  }

  @Test
  void keepsAbsentDimensionsAbsentAndUnknownKeysAsGiven() {
    Map<String, Long> file = Map.of("hidden", 64L, "heads", 4L, "window", 128L, "bias", 2L);
    LayerShape.TransformerBlock block =
        (LayerShape.TransformerBlock) LayerShape.of(LayerKind.TRANSFORMER_BLOCK, file);

    assertThat(block.ffn()).isEmpty();
    assertThat(block.kvHeads()).isEmpty();
    assertThat(block.bias()).isEqualTo(OptionalLong.of(2));
    assertThat(block.others()).containsExactly(Map.entry("window", 128L));
    assertThat(block.values()).isEqualTo(file);
  }

  @Test
  void kindsCostedByFlopsKeepTheirRecordedDimensions() {
    Map<String, Long> conv = Map.of("cin", 3L, "cout", 64L, "kernel", 7L);
    LayerShape shape = LayerShape.of(LayerKind.CONV, conv);

    assertThat(shape).isInstanceOf(LayerShape.Dimensions.class);
    assertThat(shape.values()).isEqualTo(conv);
    assertThat(LayerShape.of(LayerKind.OTHER, Map.of())).isEqualTo(LayerShape.none());
    assertThat(LayerShape.of(LayerKind.LINEAR, Map.of("out", 10L, "in", 2048L)))
        .isEqualTo(LayerShape.Linear.of(2048, 10));
    assertThat(LayerShape.of(LayerKind.EMBEDDING, Map.of()).values()).isEmpty();
  }

  @Test
  void jsonHoldsTheShapeAsItsSortedMapAndReadsBackTheSameLayer() throws Exception {
    for (LayerSpec layer :
        List.of(
            Zoo.get("gpt-tiny").layer(1),
            Zoo.get("resnet50").layer(0),
            new LayerSpec(
                "user",
                LayerKind.TRANSFORMER_BLOCK,
                LayerShape.of(LayerKind.TRANSFORMER_BLOCK, Map.of("window", 8L, "hidden", 4L)),
                1,
                1,
                1,
                0,
                0,
                0,
                null))) {
      String json = Json.json().writeValueAsString(layer);
      String shape = Json.json().writeValueAsString(layer.shape().values());
      assertThat(json).contains("\"shape\":" + shape);
      assertThat(Json.json().readValue(json, LayerSpec.class)).isEqualTo(layer);
    }
  }

  @Test
  void aLayerRefusesAShapeOfAnotherKind() {
    assertThatThrownBy(
            () ->
                new LayerSpec(
                    "head",
                    LayerKind.LM_HEAD,
                    LayerShape.Embedding.of(256, 64, 32, 32),
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "layer 'head' of kind lm_head has a shape of another kind: Embedding[");
  }
}
