package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.zoo.ProjectionBiases;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.Zoo;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HuggingFaceConfigTest {

  @Test
  void ropeThetaComesFromTheConfigOrDefaultsToLlamasBase() {
    String base =
        "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 4,"
            + " \"num_hidden_layers\": 1, \"intermediate_size\": 128, \"vocab_size\": 32,"
            + " \"max_position_embeddings\": 16";
    assertThat(theta(base + ", \"rope_theta\": 500000.0}")).isEqualTo(500_000);
    assertThat(theta(base + ", \"rope_parameters\": {\"rope_theta\": 1000000.0}}"))
        .isEqualTo(1_000_000);
    assertThat(theta(base + "}")).isEqualTo(10_000);
    // one range for every value out of it: a negative base said "a finite number >= 0", which 0
    // then failed with another range
    for (String bad : List.of("0.5", "0", "-5", "1e-300", "2e15")) {
      assertThatThrownBy(() -> theta(base + ", \"rope_theta\": " + bad + "}"))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("rope_theta must be a number from 1 to 1e15, got");
    }
  }

  private static long theta(String json) {
    ModelSpec m = HuggingFaceConfig.toModel(InputNode.parse("config.json", json, false), "t", 0);
    return ((LayerShape.TransformerBlock) m.layer(1).shape()).ropeTheta().getAsLong();
  }

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
  void mistralUsesGroupedQueryAttentionAndCapsTheDefaultSequenceAtItsWindow() {
    ModelSpec mistral = ModelLoader.load(TestFiles.resource("hf/mistral-7b").toString());
    assertThat(mistral.totalParameters()).isEqualTo(7_241_732_096L);
    assertThat(mistral.layer(1).shape().values())
        .containsEntry("kvHeads", 8L)
        .containsEntry("gated", 1L)
        .doesNotContainKeys("headDim", "qkvBias", "outBias", "mlpBias", "qkNorm");
    // Mistral-7B-v0.1 attends within a 4096-token sliding window.
    assertThat(mistral.sequenceLength()).isEqualTo(4096);
    assertThat(mistral.dtype()).isEqualTo(DType.BF16);
    assertThat(
            ModelLoader.load(TestFiles.resource("hf/mistral-7b").toString(), 2048).sequenceLength())
        .isEqualTo(2048);
  }

  @Test
  void refusesASequenceLongerThanTheSlidingWindowInUse() {
    String mistral = TestFiles.resource("hf/mistral-7b").toString();
    assertThat(ModelLoader.load(mistral, 4096).sequenceLength()).isEqualTo(4096);
    assertThatThrownBy(() -> ModelLoader.load(mistral, 8192))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("sliding_window (4096) is in use")
        .hasMessageContaining("sequence length (8192)")
        .hasMessageContaining("Maybe use --seq 4096 or fewer.");
    // Qwen2 sets a window but leaves it off (use_sliding_window false).
    assertThat(
            ModelLoader.load(TestFiles.resource("hf/qwen2-0.5b").toString(), 65536)
                .sequenceLength())
        .isEqualTo(65536);
  }

  @Test
  void qwen2TiedEmbeddingsAreCountedOnceAndItsQkvBiasesCount() {
    ModelSpec qwen = HuggingFaceConfig.read(TestFiles.resource("hf/qwen2-0.5b/config.json"), 1024);
    assertThat(qwen.totalParameters()).isEqualTo(494_032_768L);
    assertThat(qwen.layer(qwen.layerCount() - 1).shape().values()).containsEntry("tied", 1L);
    assertThat(qwen.layer(1).shape().values())
        .containsEntry("bias", 0L)
        .containsEntry("qkvBias", 1L)
        .doesNotContainKeys("outBias", "mlpBias", "headDim");
    // 896 query and 2 x 128 key/value biases per block, and the norms stay RMSNorm (one vector).
    ModelSpec withoutBiases = HuggingFaceConfig.toModel(llamaWithout(qwen), 1024);
    assertThat(qwen.layer(1).parameterCount() - withoutBiases.layer(1).parameterCount())
        .isEqualTo(896 + 2 * 128);
  }

  private static TransformerConfig llamaWithout(ModelSpec qwen) {
    InputNode root = InputNode.read(TestFiles.resource("hf/qwen2-0.5b/config.json"));
    return HuggingFaceConfig.architecture(root, qwen.name())
        .withProjectionBiases(ProjectionBiases.NONE);
  }

  @Test
  void anExplicitHeadDimSetsTheAttentionWidths() {
    ModelSpec qwen3 =
        ModelLoader.load(TestFiles.resource("hf/published/Qwen3-4B").toString(), 4096);
    LayerSpec block = qwen3.layer(1);
    assertThat(block.shape().values())
        .containsEntry("hidden", 2560L)
        .containsEntry("heads", 32L)
        .containsEntry("headDim", 128L)
        .containsEntry("qkNorm", 1L);
    long h = 2560;
    long q = 32 * 128;
    long kv = 8 * 128;
    long f = 9728;
    long s = 4096;
    // Q and O are h x a·d, K and V h x kv·d; two RMSNorm vectors of h and two q/k norms of d.
    long weights = 2 * h * (q + kv) + 3 * h * f;
    assertThat(block.parameterCount()).isEqualTo(weights + 2 * h + 2 * 128);
    // The attention core scales with a·d (4096), not with the hidden width (2560).
    assertThat(block.forwardFlops()).isEqualTo(2.0 * weights * s + 4.0 * s * s * q);
    assertThat(block.activations().tensorShardedBytes())
        .isEqualTo(2 * (2 * s * q + 2 * s * kv + 3 * s * f));
  }

  @Test
  void theNewShapeKeysRoundTripThroughTheModelFileFormat(@TempDir Path dir) {
    ModelSpec qwen3 = ModelLoader.load(TestFiles.resource("hf/published/Qwen3-4B").toString(), 512);
    Path file = dir.resolve("qwen3.json");
    ModelLoader.write(qwen3, file);
    ModelSpec again = ModelLoader.load(file.toString());
    assertThat(again.layers()).isEqualTo(qwen3.layers());
    assertThat(again.totalParameters()).isEqualTo(4_022_468_096L);
  }

  @Test
  void attentionAndMlpBiasFlagsAddTheirBiases() {
    String base =
        "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 4,"
            + " \"num_key_value_heads\": 2, \"intermediate_size\": 96, \"num_hidden_layers\": 2,"
            + " \"vocab_size\": 100, \"max_position_embeddings\": 32";
    ModelSpec plain = importJson(base + "}");
    ModelSpec biased = importJson(base + ", \"attention_bias\": true, \"mlp_bias\": true}");
    // q 64, k and v 32 each, o 64; up and gate 96 each, down 64.
    assertThat(biased.layer(1).parameterCount() - plain.layer(1).parameterCount())
        .isEqualTo(64 + 2 * 32 + 64 + 2 * 96 + 64);
    assertThat(biased.layer(1).shape().values())
        .containsEntry("qkvBias", 1L)
        .containsEntry("outBias", 1L)
        .containsEntry("mlpBias", 1L)
        .containsEntry("bias", 0L);
    assertThat(biased.layer(1).forwardFlops()).isEqualTo(plain.layer(1).forwardFlops());
  }

  private static ModelSpec importJson(String json) {
    return HuggingFaceConfig.toModel(InputNode.parse("cfg.json", json, false), "x", 0);
  }

  @Test
  void refusesDeepSeekLatentAttentionByTypeAndByField() {
    InputNode v3 =
        InputNode.parse(
            "cfg.json",
            "{\"model_type\": \"deepseek_v3\", \"hidden_act\": \"silu\", \"hidden_size\": 7168,"
                + " \"kv_lora_rank\": 512, \"q_lora_rank\": 1536, \"n_routed_experts\": 256}",
            false);
    assertThatThrownBy(() -> HuggingFaceConfig.architecture(v3, "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("cfg.json: model_type 'deepseek_v3' is not supported")
        .hasMessageContaining("kv_lora_rank 512")
        .hasMessageContaining("n_routed_experts 256");
    InputNode latent =
        InputNode.parse(
            "cfg.json",
            "{\"model_type\": \"llama\", \"hidden_size\": 4096, \"kv_lora_rank\": 512}",
            false);
    assertThatThrownBy(() -> HuggingFaceConfig.architecture(latent, "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("kv_lora_rank is present (kv_lora_rank 512)")
        .hasMessageContaining("multi-head latent attention");
    InputNode experts =
        InputNode.parse(
            "cfg.json",
            "{\"model_type\": \"deepseek\", \"hidden_act\": \"silu\", \"n_routed_experts\": 64}",
            false);
    assertThatThrownBy(() -> HuggingFaceConfig.architecture(experts, "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "cfg.json: n_routed_experts is present (n_routed_experts 64): mixture-of-experts"
                + " models are not supported");
  }

  @Test
  void refusesCompositeConfigsAndGemma2ByName() {
    InputNode llama4 =
        InputNode.parse(
            "cfg.json",
            "{\"model_type\": \"llama4\", \"text_config\": {\"hidden_size\": 5120,"
                + " \"hidden_act\": \"silu\"}, \"vision_config\": {}}",
            false);
    assertThatThrownBy(() -> HuggingFaceConfig.architecture(llama4, "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("text_config is present (model_type 'llama4')")
        .hasMessageContaining("text-only decoder");
    InputNode gemma2 =
        InputNode.parse(
            "cfg.json",
            "{\"model_type\": \"gemma2\", \"hidden_act\": \"gelu_pytorch_tanh\","
                + " \"hidden_size\": 2304, \"sliding_window\": 4096}",
            false);
    assertThatThrownBy(() -> HuggingFaceConfig.architecture(gemma2, "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("model_type 'gemma2' is not supported")
        .hasMessageContaining("soft-cap");
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
        .hasMessage(
            "cfg.json: num_local_experts is present (num_local_experts 8): mixture-of-experts"
                + " models are not supported");
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
