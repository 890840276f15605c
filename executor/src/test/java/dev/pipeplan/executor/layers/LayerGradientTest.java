package dev.pipeplan.executor.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class LayerGradientTest {
  private static final DataType D = DataType.DOUBLE;

  private static INDArray input(long rows, long cols, long seed) {
    return Tensors.normal(new SplittableRandom(seed), 1.0, D, rows, cols);
  }

  @Test
  void embeddingWeightGradientsMatchFiniteDifferences() {
    EmbeddingLayer layer = new EmbeddingLayer("emb", 13, 8, 6, new SplittableRandom(1), D);
    // repeated tokens check that their gradients add up
    MicroBatch data = new MicroBatch(2, 4, new int[] {1, 5, 1, 12, 5, 5, 0, 3}, new int[8], 8, 7);
    new GradientCheck(layer, data, null, 8, 11).verify();
  }

  @Test
  void transformerBlockGradientsMatchFiniteDifferences() {
    TransformerBlockLayer layer =
        new TransformerBlockLayer("blk", 8, 2, 2, 12, false, true, new SplittableRandom(2), D);
    MicroBatch data = GradientCheck.tokens(2, 4, 5, 8, 3);
    new GradientCheck(layer, data, input(8, 8, 4), 8, 12).verify();
  }

  @Test
  void groupedQuerySwiGluBlockWithoutBiasGradientsMatchFiniteDifferences() {
    TransformerBlockLayer layer =
        new TransformerBlockLayer("gqa", 8, 4, 2, 10, true, false, new SplittableRandom(5), D);
    MicroBatch data = GradientCheck.tokens(2, 3, 5, 6, 6);
    new GradientCheck(layer, data, input(6, 8, 7), 8, 13).verify();
    assertThat(layer.parameters())
        .extracting(Parameter::name)
        .doesNotContain("gqa.q.bias")
        .contains("gqa.gate.weight");
  }

  @Test
  void lmHeadGradientsMatchFiniteDifferencesOfTheLoss() {
    LmHeadLayer layer = new LmHeadLayer("head", 8, 11, new SplittableRandom(8), D);
    MicroBatch data = GradientCheck.tokens(2, 3, 11, 24, 9);
    new GradientCheck(layer, data, input(6, 8, 10), 1, 14).verify();
  }

  @Test
  void mlpGradientsMatchFiniteDifferences() {
    MlpLayer layer = new MlpLayer("mlp", 5, 7, 3, new SplittableRandom(15), D);
    MicroBatch data = GradientCheck.tokens(4, 1, 2, 4, 16);
    new GradientCheck(layer, data, input(4, 5, 17), 3, 18).verify();
  }

  @Test
  void lmHeadLossOfUniformLogitsIsLogVocabularyScaledByTheGlobalBatch() {
    LmHeadLayer layer = new LmHeadLayer("head", 4, 7, new SplittableRandom(19), D);
    for (Parameter p : layer.parameters()) {
      if (p.name().endsWith("proj.weight")) {
        p.value().assign(0);
      }
    }
    MicroBatch data = GradientCheck.tokens(1, 3, 7, 12, 20);
    double loss = layer.forward(0, input(3, 4, 21), data).getDouble(0);
    // 3 tokens of the 12 in the global batch, each costing ln 7
    assertThat(loss).isCloseTo(3 * Math.log(7) / 12, org.assertj.core.api.Assertions.within(1e-12));
  }
}
