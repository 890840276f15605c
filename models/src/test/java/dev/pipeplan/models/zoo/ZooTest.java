package dev.pipeplan.models.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ZooTest {

  @ParameterizedTest(name = "{0} has {1} parameters")
  @CsvSource({
    "gpt2-small, 124439808",
    "gpt2-medium, 354823168",
    "gpt2-large, 774030080",
    "gpt2-xl, 1557611200",
    "llama2-7b, 6738415616",
    "llama2-13b, 13015864320",
    "llama2-70b, 68976648192",
    "llama3-8b, 8030261248",
    // the safetensors indexes' total_size over 2 bytes
    "llama3-70b, 70553706496",
    "llama3.1-405b, 405853388800",
    "vgg16, 138357544",
    "resnet50, 25557032"
  })
  void parameterCountsMatchPublishedExactly(String name, long published) {
    assertThat(Zoo.get(name).totalParameters()).isEqualTo(published);
  }

  @ParameterizedTest(name = "{0} has about {1} parameters")
  @CsvSource({
    "gpt3-1.3b, 1.3e9, 0.05",
    "gpt3-6.7b, 6.7e9, 0.02",
    "gpt3-13b, 12.9e9, 0.02",
    "gpt3-175b, 174.6e9, 0.01",
    "bert-large, 335141888, 0.01"
  })
  void parameterCountsAreCloseToPublished(String name, double published, double tolerance) {
    assertThat((double) Zoo.get(name).totalParameters())
        .isCloseTo(published, within(published * tolerance));
  }

  @Test
  void standardBlockMatchesKorthikantiFormulas() {
    ModelSpec gpt3 = Zoo.get("gpt3-175b");
    LayerSpec block = gpt3.layer(1);
    double s = 2048;
    double h = 12288;
    double a = 96;
    assertThat(block.kind()).isEqualTo(LayerKind.TRANSFORMER_BLOCK);
    assertThat(block.forwardFlops()).isEqualTo(24 * s * h * h + 4 * s * s * h);
    assertThat(block.backwardWeightFlops()).isEqualTo(24 * s * h * h);
    assertThat(block.backwardInputFlops()).isEqualTo(24 * s * h * h + 8 * s * s * h);
    assertThat(block.savedActivationBytes()).isEqualTo(Math.round(s * h * (34 + 5 * a * s / h)));
    assertThat(block.outputBytes()).isEqualTo((long) (s * h * 2));
  }

  @Test
  void trainingFlopsAreAboutSixTimesParametersPerToken() {
    // The well-known 6·N·tokens rule (plus attention) for GPT-3 175B at 2048 tokens.
    ModelSpec gpt3 = Zoo.get("gpt3-175b");
    double perToken = gpt3.trainingFlopsPerSample() / 2048;
    assertThat(perToken / gpt3.totalParameters()).isBetween(6.0, 6.5);
  }

  @Test
  void groupedQueryAttentionShrinksKeyValueProjections() {
    LayerSpec block = Zoo.get("llama2-70b").layer(1);
    long h = 8192;
    long kv = 8 * 128;
    assertThat(block.parameterCount()).isEqualTo(2 * h * h + 2 * h * kv + 3 * h * 28672 + 2 * h);
    assertThat(block.shape())
        .isEqualTo(
            LayerShape.TransformerBlock.of(h, 64, 8, 28672, 4096, true, false)
                .withRopeTheta(java.util.OptionalLong.of(10_000)));
  }

  @Test
  void rotaryModelsRecordTheirRopeBaseAndLearnedPositionModelsNone() {
    assertThat(((LayerShape.TransformerBlock) Zoo.get("llama3-8b").layer(1).shape()).ropeTheta())
        .hasValue(500_000);
    assertThat(((LayerShape.TransformerBlock) Zoo.get("llama2-7b").layer(1).shape()).ropeTheta())
        .hasValue(10_000);
    assertThat(((LayerShape.TransformerBlock) Zoo.get("gpt2-small").layer(1).shape()).ropeTheta())
        .isEmpty();
    assertThat(Zoo.get("gpt2-small").layer(1).shape().values()).doesNotContainKey("ropeTheta");
  }

  @Test
  void llamaTinyCpuIsASmallGroupedQueryLlama() {
    ModelSpec m = Zoo.get("llama-tiny-cpu");
    assertThat(m.layerCount()).isEqualTo(10);
    assertThat(((LayerShape.Embedding) m.layer(0).shape()).positions()).hasValue(0);
    LayerShape.TransformerBlock b = (LayerShape.TransformerBlock) m.layer(1).shape();
    assertThat(b.kvHeads()).hasValue(2);
    assertThat(b.gated()).hasValue(1);
    assertThat(b.bias()).hasValue(0);
    assertThat(((LayerShape.LmHead) m.layer(9).shape()).tied()).hasValue(0);
  }

  @Test
  void activationFormulaAdaptsToGroupedQueryAttentionAndSwiGlu() {
    TransformerConfig c = Zoo.find("llama2-70b").orElseThrow().transformer().orElseThrow();
    double s = 4096;
    double h = 8192;
    double a = 64;
    double kv = 8 * 128;
    double f = 28672;
    // Korthikanti's 16-bit count, minus the K and V bytes GQA does not keep, with the GeLU MLP's
    // 19·s·h replaced by SwiGLU's input, gate, up and product (2 bytes each) plus the 1-byte
    // dropout mask; Llama trains without dropout, so minus the two hidden masks (2·s·h) and the
    // attention dropout's mask and output (3·a·s²).
    double expected =
        s * h * (34 + 5 * a * s / h)
            - 2 * 2 * s * (h - kv)
            - 19 * s * h
            + (2 * (s * h + 3 * s * f) + s * h)
            - 2 * s * h
            - 3 * a * s * s;
    assertThat(TransformerLayers.savedActivationBytes(c, 4096)).isEqualTo(Math.round(expected));
  }

  @Test
  void cnnForwardFlopsMatchPublishedMultiplyAdds() {
    // VGG-16 15.5 GMACs, ResNet-50 4.1 GMACs per 224x224 image (convolutions and fully connected
    // layers).
    assertThat(Zoo.get("vgg16").forwardFlopsPerSample() / 2).isCloseTo(15.5e9, within(0.2e9));
    assertThat(Zoo.get("resnet50").forwardFlopsPerSample() / 2).isCloseTo(4.1e9, within(0.1e9));
    assertThatThrownBy(() -> Zoo.get("resnet50", 128)).isInstanceOf(BadInputException.class);
  }

  @Test
  void cpuModelsAreSmallEnoughForMillisecondSteps() {
    ModelSpec tiny = Zoo.get("gpt-tiny");
    assertThat(tiny.totalParameters()).isLessThan(1_000_000L);
    assertThat(tiny.trainingFlopsPerSample()).isLessThan(1e8);
    assertThat(tiny.dtype()).isEqualTo(DType.FP32);
    ModelSpec small = Zoo.get("gpt-small-cpu");
    assertThat(small.layer(1).shape().values())
        .containsEntry("hidden", 256L)
        .containsEntry("seq", 64L);
    assertThat(small.layerCount()).isEqualTo(10);
  }

  @Test
  void tiedHeadCountsSharedWeightsOnce() {
    ModelSpec gpt2 = Zoo.get("gpt2-xl");
    LayerSpec head = gpt2.layer(gpt2.layerCount() - 1);
    assertThat(head.kind()).isEqualTo(LayerKind.LM_HEAD);
    assertThat(head.shape().values()).containsEntry("tied", 1L);
    assertThat(head.parameterCount()).isEqualTo(2 * 1600);
    assertThat(head.forwardFlops()).isEqualTo(2.0 * 1024 * 1600 * 50257);
  }

  @Test
  void layersAreEmbeddingBlocksAndHeadWithTheExecutorsShapeKeys() {
    ModelSpec tiny = Zoo.get("gpt-tiny");
    assertThat(tiny.layerCount()).isEqualTo(10);
    assertThat(tiny.layer(0).shape().values())
        .containsOnlyKeys("vocab", "hidden", "seq", "positions");
    assertThat(tiny.layer(1).shape().values())
        .containsOnlyKeys("hidden", "heads", "kvHeads", "ffn", "seq", "gated", "bias");
    assertThat(tiny.layer(9).shape().values()).containsOnlyKeys("hidden", "vocab", "seq", "tied");
    assertThat(tiny.sequenceLength()).isEqualTo(32);
    assertThat(Zoo.get("llama2-7b").layer(0).shape().values()).containsEntry("positions", 0L);
  }

  @Test
  void sequenceLengthCanBeChosenWithinLearnedPositions() {
    assertThat(Zoo.get("gpt2-xl", 512).sequenceLength()).isEqualTo(512);
    assertThat(Zoo.get("gpt2-xl", 512).totalParameters()).isEqualTo(1557611200L);
    assertThatThrownBy(() -> Zoo.get("gpt2-xl", 2048))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("2048")
        .hasMessageContaining("--seq 1024");
  }

  @Test
  void unknownNameSuggestsClosest() {
    assertThatThrownBy(() -> Zoo.get("gpt2-xxl"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'gpt2-xxl'")
        .hasMessageContaining("Maybe you meant 'gpt2-xl'?");
  }

  @Test
  void namesAreUniqueAndInFixedOrder() {
    assertThat(Zoo.names()).doesNotHaveDuplicates().startsWith("gpt2-small", "gpt2-medium");
    for (String name : Zoo.names()) {
      assertThat(Zoo.get(name).name()).isEqualTo(name);
    }
  }
}
