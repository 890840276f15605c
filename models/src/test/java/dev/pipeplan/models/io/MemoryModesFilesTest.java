package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.ActivationBytes;
import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.zoo.Zoo;
import org.junit.jupiter.api.Test;

/** Dropout in model files and configs, and the memory modes in training files. */
class MemoryModesFilesTest {
  private static ActivationBytes block(ModelSpec m) {
    return m.layer(1).activations();
  }

  private static ModelSpec hf(String json) {
    return HuggingFaceConfig.toModel(
        HuggingFaceConfig.architecture(InputNode.parse("config.json", json, false), "m"), 0);
  }

  @Test
  void huggingFaceDropoutDecidesTheMasks() {
    String llama =
        "{\"model_type\": \"llama\", \"hidden_size\": 256, \"num_hidden_layers\": 2,"
            + " \"num_attention_heads\": 4, \"intermediate_size\": 512, \"vocab_size\": 1000,"
            + " \"max_position_embeddings\": 128";
    assertThat(block(hf(llama + "}")).dropoutMaskBytes()).isZero();
    assertThat(block(hf(llama + ", \"attention_dropout\": 0.1}")).dropoutMaskBytes())
        .isEqualTo(2L * 128 * 256);
    String gpt2 =
        "{\"model_type\": \"gpt2\", \"n_embd\": 256, \"n_layer\": 2, \"n_head\": 4,"
            + " \"n_positions\": 128, \"vocab_size\": 1000";
    assertThat(block(hf(gpt2 + "}")).attentionDropoutBytes()).isEqualTo(4L * 128 * 128 * 3);
    ActivationBytes off =
        block(hf(gpt2 + ", \"resid_pdrop\": 0, \"attn_pdrop\": 0.0, \"embd_pdrop\": 0}"));
    assertThat(off.dropoutMaskBytes()).isZero();
    assertThat(off.attentionDropoutBytes()).isZero();
    assertThatThrownBy(() -> hf(gpt2 + ", \"resid_pdrop\": 1.5}"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("resid_pdrop");
  }

  @Test
  void modelFileKeepsTheActivationPartsAndDropoutFalseDropsTheMasks() {
    ModelSpec gpt2 = Zoo.get("gpt2-small");
    String json = ModelFile.toJson(gpt2);
    assertThat(ModelFile.fromNode(InputNode.parse("m.json", json, false), "x")).isEqualTo(gpt2);
    String noDropout = json.replaceFirst("\"layers\"", "\"dropout\" : false,\n  \"layers\"");
    ModelSpec without = ModelFile.fromNode(InputNode.parse("m.json", noDropout, false), "x");
    ActivationBytes before = block(gpt2);
    assertThat(block(without)).isEqualTo(before.withoutDropout());
    assertThat(without.layer(1).savedActivationBytes())
        .isEqualTo(before.total() - before.dropoutMaskBytes() - before.attentionDropoutBytes());
  }

  @Test
  void modelFileRejectsPartsThatDisagreeWithTheTotal() {
    String json =
        "{\"layers\": [{\"name\": \"l\", \"forwardFlops\": 1, \"savedActivationBytes\": 10,"
            + " \"activations\": {\"tensorShardedBytes\": 4, \"sequenceShardedBytes\": 4}}]}";
    assertThatThrownBy(() -> ModelFile.fromNode(InputNode.parse("m.json", json, false), "x"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("savedActivationBytes")
        .hasMessageContaining("(10)")
        .hasMessageContaining("(8)");
  }

  @Test
  void oldTrainingFileBooleanMeansFullOrNone() {
    TrainingSpec t =
        TrainingFile.fromNode(InputNode.parse("t.yaml", "globalBatch: 8\nrecompute: true\n", true));
    assertThat(t.recompute()).isEqualTo(Recompute.FULL);
    assertThat(t.attention()).isEqualTo(Attention.FLASH);
  }

  @Test
  void trainingFileReadsAndWritesTheMemoryModes() {
    TrainingSpec t =
        TrainingFile.fromNode(
            InputNode.parse(
                "t.yaml",
                "globalBatch: 8\nrecompute: selective\nattention: eager\noptimizerSharding: 2\n"
                    + "sequenceParallel: true\n",
                true));
    assertThat(t.recompute()).isEqualTo(Recompute.SELECTIVE);
    assertThat(t.attention()).isEqualTo(Attention.EAGER);
    assertThat(t.optimizerSharding()).isEqualTo(OptimizerSharding.ZERO2);
    assertThat(t.sequenceParallel()).isTrue();
    String json = Json.write(TrainingFile.toTree(t));
    assertThat(TrainingFile.fromNode(InputNode.parse("t.json", json, false))).isEqualTo(t);
    assertThat(t.describeMemoryModes(8, 2))
        .isEqualTo(
            "attention eager, recompute selective, optimizer and gradients sharded over dp=8,"
                + " sequence parallel");
    assertThatThrownBy(
            () ->
                TrainingFile.fromNode(
                    InputNode.parse("t.yaml", "globalBatch: 8\nrecompute: partial\n", true)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'partial' is not a recomputation");
  }
}
