package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.zoo.Zoo;
import org.junit.jupiter.api.Test;

class HuggingFaceConfigTest {

  @Test
  void llama2ConfigImportsToTheZooTotals() {
    ModelSpec imported = HuggingFaceConfig.read(TestFiles.resource("hf/llama-2-7b/config.json"), 0);
    ModelSpec zoo = Zoo.get("llama2-7b");
    assertThat(imported.name()).isEqualTo("Llama-2-7b-hf");
    assertThat(imported.totalParameters())
        .isEqualTo(6_738_415_616L)
        .isEqualTo(zoo.totalParameters());
    assertThat(imported.sequenceLength()).isEqualTo(4096);
    assertThat(imported.forwardFlopsPerSample()).isEqualTo(zoo.forwardFlopsPerSample());
    assertThat(imported.trainingFlopsPerSample()).isEqualTo(zoo.trainingFlopsPerSample());
    assertThat(imported.layers()).hasSameSizeAs(zoo.layers());
    assertThat(imported.dtype()).isEqualTo(DType.FP16);
    for (int i = 0; i < zoo.layerCount(); i++) {
      assertThat(imported.layer(i).shape()).isEqualTo(zoo.layer(i).shape());
      assertThat(imported.layer(i).savedActivationBytes())
          .isEqualTo(zoo.layer(i).savedActivationBytes());
    }
  }

  @Test
  void gpt2ConfigImportsToTheZooTotals() {
    ModelSpec imported = ModelLoader.load(TestFiles.resource("hf/gpt2-xl/config.json").toString());
    assertThat(imported.totalParameters()).isEqualTo(1_557_611_200L);
    assertThat(imported.forwardFlopsPerSample())
        .isEqualTo(Zoo.get("gpt2-xl").forwardFlopsPerSample());
    assertThat(imported.name()).isEqualTo("gpt2-xl");
    assertThat(imported.layer(0).shape().values()).containsEntry("positions", 1024L);
  }

  @Test
  void mistralUsesGroupedQueryAttentionAndCapsTheDefaultSequence() {
    ModelSpec mistral = ModelLoader.load(TestFiles.resource("hf/mistral-7b").toString());
    assertThat(mistral.totalParameters()).isEqualTo(7_241_732_096L);
    assertThat(mistral.layer(1).shape().values())
        .containsEntry("kvHeads", 8L)
        .containsEntry("gated", 1L);
    assertThat(mistral.sequenceLength()).isEqualTo(HuggingFaceConfig.MAX_DEFAULT_SEQUENCE);
    assertThat(mistral.dtype()).isEqualTo(DType.BF16);
    assertThat(
            ModelLoader.load(TestFiles.resource("hf/mistral-7b").toString(), 2048).sequenceLength())
        .isEqualTo(2048);
  }

  @Test
  void qwen2TiedEmbeddingsAreCountedOnce() {
    ModelSpec qwen = HuggingFaceConfig.read(TestFiles.resource("hf/qwen2-0.5b/config.json"), 1024);
    // Published 494,032,768 includes 27,648 q/k/v biases that the Llama-style block does not model.
    assertThat(qwen.totalParameters()).isEqualTo(494_032_768L - 27_648L);
    assertThat(qwen.layer(qwen.layerCount() - 1).shape().values()).containsEntry("tied", 1L);
  }

  @Test
  void missingFieldNamesFileAndField() {
    InputNode root =
        InputNode.parse("cfg.json", "{\"model_type\": \"llama\", \"hidden_size\": 4096}", false);
    assertThatThrownBy(() -> HuggingFaceConfig.architecture(root, "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("cfg.json: num_attention_heads is missing");
  }

  @Test
  void negativeFieldNamesTheValue() {
    InputNode root =
        InputNode.parse(
            "cfg.json",
            "{\"model_type\": \"gpt2\", \"n_embd\": -768, \"n_layer\": 12, \"n_head\": 12, \"n_positions\": 1024,"
                + " \"vocab_size\": 50257}",
            false);
    assertThatThrownBy(() -> HuggingFaceConfig.architecture(root, "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "cfg.json: n_embd must be between 1 and 1048576 (pipeplan's limit, see docs/formats.md),"
                + " got -768");
  }

  @Test
  void hugeFieldNamesTheLimitNotTheNumbersShape() {
    InputNode root =
        InputNode.parse(
            "cfg.json",
            "{\"model_type\": \"llama\", \"hidden_size\": 1e18, \"num_attention_heads\": 32}",
            false);
    assertThatThrownBy(() -> HuggingFaceConfig.architecture(root, "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "cfg.json: hidden_size must be between 1 and 1048576 (pipeplan's limit, see"
                + " docs/formats.md), got 1.0E18");
  }

  /** The last of two values used to win silently: a 2-block model planned for a 12-block one. */
  @Test
  void rejectsAKeyGivenTwice() {
    String json =
        "{\"model_type\": \"gpt2\", \"n_embd\": 768, \"n_layer\": 12, \"n_head\": 12,"
            + " \"n_layer\": 2, \"n_positions\": 1024, \"vocab_size\": 50257}";
    assertThatThrownBy(() -> InputNode.parse("cfg.json", json, false))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("cfg.json is not valid JSON (line 1, column")
        .hasMessageContaining("Duplicate field 'n_layer'");
    assertThatThrownBy(() -> InputNode.parse("cfg.yaml", "n_layer: 12\nn_layer: 2\n", true))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("Duplicate field 'n_layer'");
  }

  @Test
  void rejectsHeadsThatDoNotDivideHidden() {
    InputNode root =
        InputNode.parse(
            "cfg.json",
            "{\"model_type\": \"gpt2\", \"n_embd\": 770, \"n_layer\": 12, \"n_head\": 12, \"n_positions\": 1024,"
                + " \"vocab_size\": 50257}",
            false);
    assertThatThrownBy(() -> HuggingFaceConfig.architecture(root, "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("n_head (12) must divide n_embd (770)");
  }

  @Test
  void rejectsMixtureOfExperts() {
    InputNode root =
        InputNode.parse(
            "cfg.json", "{\"model_type\": \"mixtral\", \"num_local_experts\": 8}", false);
    assertThatThrownBy(() -> HuggingFaceConfig.architecture(root, "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("mixture-of-experts");
  }

  @Test
  void rejectsUnsupportedModelType() {
    InputNode root =
        InputNode.parse("cfg.json", "{\"model_type\": \"t5\", \"d_model\": 512}", false);
    assertThatThrownBy(() -> HuggingFaceConfig.architecture(root, "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'t5' is not supported");
  }
}
