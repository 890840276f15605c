package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.TrainingSpec;
import org.junit.jupiter.api.Test;

class TrainingFileTest {

  @Test
  void readsNamedOptimizerAndDefaults() {
    TrainingSpec t =
        TrainingFile.fromNode(
            InputNode.parse(
                "t.yaml", "globalBatch: 512\nsequenceLength: 2048\noptimizer: sgd\n", true));
    assertThat(t).isEqualTo(new TrainingSpec(512, 2048, DType.BF16, Optimizer.sgd(), false));
  }

  @Test
  void roundTripsThroughItsTree() {
    TrainingSpec t = new TrainingSpec(64, 1024, DType.FP16, new Optimizer("lion", 2, 4), true);
    String json = Json.write(TrainingFile.toTree(t));
    assertThat(TrainingFile.fromNode(InputNode.parse("t.json", json, false))).isEqualTo(t);
  }

  @Test
  void theGradientAccumulationRoundTripsAndTheDefaultStaysOutOfTheFile() {
    TrainingSpec fused =
        new TrainingSpec(64, 1024, DType.BF16, Optimizer.adamMixedPrecision(), true);
    assertThat(Json.write(TrainingFile.toTree(fused))).doesNotContain("gradientAccumulation");
    TrainingSpec cast = fused.withGradientAccumulation(GradientAccumulation.FP32_CAST_ADD);
    String json = Json.write(TrainingFile.toTree(cast));
    assertThat(json).contains("\"gradientAccumulation\" : \"fp32-cast-add\"");
    assertThat(TrainingFile.fromNode(InputNode.parse("t.json", json, false))).isEqualTo(cast);
    assertThatThrownBy(
            () ->
                TrainingFile.fromNode(
                    InputNode.parse(
                        "t.json",
                        "{\"globalBatch\": 8, \"gradientAccumulation\": \"lazy\"}",
                        false)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("gradientAccumulation")
        .hasMessageContaining("'lazy'")
        .hasMessageContaining("fused, fp32-add, fp32-cast-add or in-place");
  }

  @Test
  void theCrossEntropyRoundTripsAndTheDefaultStaysOutOfTheFile() {
    TrainingSpec unfused =
        new TrainingSpec(64, 1024, DType.BF16, Optimizer.adamMixedPrecision(), true);
    assertThat(unfused.crossEntropy()).isEqualTo(CrossEntropy.UNFUSED);
    assertThat(Json.write(TrainingFile.toTree(unfused))).doesNotContain("crossEntropy");
    TrainingSpec fused = unfused.withCrossEntropy(CrossEntropy.FUSED);
    String json = Json.write(TrainingFile.toTree(fused));
    assertThat(json).contains("\"crossEntropy\" : \"fused\"");
    assertThat(TrainingFile.fromNode(InputNode.parse("t.json", json, false))).isEqualTo(fused);
    assertThat(fused.describeMemoryModes(1, 1)).endsWith(", cross-entropy fused");
    assertThatThrownBy(
            () ->
                TrainingFile.fromNode(
                    InputNode.parse(
                        "t.json", "{\"globalBatch\": 8, \"crossEntropy\": \"liger\"}", false)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("t.json")
        .hasMessageContaining("crossEntropy")
        .hasMessageContaining("'liger'")
        .hasMessageContaining("unfused or fused");
  }

  @Test
  void missingGlobalBatchIsReported() {
    assertThatThrownBy(
            () -> TrainingFile.fromNode(InputNode.parse("t.json", "{\"dtype\": \"fp16\"}", false)))
        .isInstanceOf(BadInputException.class)
        .hasMessage("t.json: globalBatch is missing");
  }

  @Test
  void zeroGlobalBatchIsReported() {
    assertThatThrownBy(
            () -> TrainingFile.fromNode(InputNode.parse("t.json", "{\"globalBatch\": 0}", false)))
        .isInstanceOf(BadInputException.class)
        .hasMessage("t.json: globalBatch must be >= 1, got 0");
  }
}
