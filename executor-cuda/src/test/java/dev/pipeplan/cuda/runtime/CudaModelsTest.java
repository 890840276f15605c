package dev.pipeplan.cuda.runtime;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.SubLayers;
import dev.pipeplan.models.zoo.ProjectionBiases;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.TransformerLayers;
import dev.pipeplan.models.zoo.Zoo;
import org.junit.jupiter.api.Test;

/** Which models the CUDA backend takes, checked without a GPU. */
class CudaModelsTest {
  @Test
  void runsALanguageModelOfWholeLayers() {
    assertThatCode(() -> CudaModels.checkRunnable(Zoo.get("gpt-tiny"))).doesNotThrowAnyException();
  }

  @Test
  void refusesAModelCutIntoPiecesNamingTheFirstPiece() {
    assertThatThrownBy(
            () ->
                CudaModels.checkRunnable(
                    SubLayers.split(Zoo.get("gpt-tiny"), SubLayers.Unit.STEP, 1)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'block0.attention_in' is a piece of a layer")
        .hasMessageContaining("--partition-unit");
  }

  @Test
  void runsWideHeadsQkvBiasesAndQueryKeyNorms() {
    TransformerConfig wide =
        TransformerConfig.llama("wide", 64, 32, 2, 4, 2, 48, 8, DType.FP32)
            .withHeadDim(16)
            .withProjectionBiases(ProjectionBiases.QKV);
    assertThatCode(() -> CudaModels.checkRunnable(TransformerLayers.build(wide)))
        .doesNotThrowAnyException();
    // refused before the shared block built Qwen3's per-head q/k norms
    assertThatCode(() -> CudaModels.checkRunnable(TransformerLayers.build(wide.withQkNorm(true))))
        .doesNotThrowAnyException();
  }

  @Test
  void refusesAModelThatDoesNotEndInAnLmHead() {
    assertThatThrownBy(() -> CudaModels.checkRunnable(Zoo.get("vgg16")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("from an embedding to an lm_head");
  }
}
