package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelLimits;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.zoo.TransformerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every reader refuses sizes past {@link ModelLimits} with the file, field, value and limit. */
class SizeLimitsTest {
  private static final String LLAMA =
      "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_hidden_layers\": 2,"
          + " \"num_attention_heads\": 4, \"num_key_value_heads\": 4, \"intermediate_size\": 128,"
          + " \"vocab_size\": 1000, \"max_position_embeddings\": 16}";

  @Test
  void hugeHiddenSizeInConfigJsonNamesFileFieldValueAndLimit(@TempDir Path dir) throws IOException {
    Path config = dir.resolve("config.json");
    Files.writeString(config, LLAMA.replace("\"hidden_size\": 64", "\"hidden_size\": 2000000000"));
    assertThatThrownBy(() -> ModelLoader.load(config.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            config
                + ": hidden_size must be between 1 and 1048576 (pipeplan's limit, see"
                + " docs/formats.md), got 2000000000");
  }

  @ParameterizedTest(name = "{0} = {1} is accepted, {1} + 1 is not")
  @CsvSource({
    "hidden_size, 1048576",
    "num_attention_heads, 65536",
    "num_key_value_heads, 65536",
    "intermediate_size, 4194304",
    "vocab_size, 16777216",
    "num_hidden_layers, 100000"
  })
  void llamaFieldsAreAcceptedAtTheLimitAndRefusedPastIt(String field, long limit) {
    // Heads must divide the hidden size and key/value heads the heads: raise them together.
    String base = LLAMA;
    if (field.contains("heads")) {
      base =
          base.replace("\"hidden_size\": 64", "\"hidden_size\": " + ModelLimits.MAX_HEADS)
              .replace("\"num_attention_heads\": 4", "\"num_attention_heads\": " + limit)
              .replace("\"num_key_value_heads\": 4", "\"num_key_value_heads\": " + limit);
    }
    String atLimit = base.replaceFirst("\"" + field + "\": \\d+", "\"" + field + "\": " + limit);
    TransformerConfig config =
        HuggingFaceConfig.architecture(InputNode.parse("c.json", atLimit, false), "m");
    assertThat(
            java.util.List.of(
                config.hidden(),
                config.heads(),
                config.kvHeads(),
                config.ffn(),
                config.vocab(),
                config.blocks()))
        .contains((int) limit);

    String past = base.replaceFirst("\"" + field + "\": \\d+", "\"" + field + "\": " + (limit + 1));
    assertThatThrownBy(
            () -> HuggingFaceConfig.architecture(InputNode.parse("c.json", past, false), "m"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("c.json: " + field + " must be between 1 and " + limit)
        .hasMessageEndingWith("got " + (limit + 1));
  }

  @Test
  void learnedPositionsAreLimitedToTheLongestSequence() {
    String gpt2 =
        "{\"model_type\": \"gpt2\", \"n_embd\": 64, \"n_layer\": 1, \"n_head\": 4,"
            + " \"vocab_size\": 100, \"n_positions\": %d}";
    TransformerConfig atLimit =
        HuggingFaceConfig.architecture(
            InputNode.parse("c.json", String.format(gpt2, ModelLimits.MAX_SEQUENCE), false), "m");
    assertThat(atLimit.positions()).isEqualTo(ModelLimits.MAX_SEQUENCE);
    assertThatThrownBy(
            () ->
                HuggingFaceConfig.architecture(
                    InputNode.parse(
                        "c.json", String.format(gpt2, ModelLimits.MAX_SEQUENCE + 1), false),
                    "m"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("c.json: n_positions must be between 1 and 4194304")
        .hasMessageEndingWith("got 4194305");
  }

  @Test
  void gpt2DefaultInnerSizeDoesNotOverflowForAHugeWidth() {
    // n_inner defaults to 4 * n_embd, which overflowed an int into a negative size.
    String gpt2 =
        "{\"model_type\": \"gpt2\", \"n_embd\": 1000000000, \"n_layer\": 1, \"n_head\": 1,"
            + " \"vocab_size\": 100, \"n_positions\": 16}";
    assertThatThrownBy(
            () -> HuggingFaceConfig.architecture(InputNode.parse("c.json", gpt2, false), "m"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("c.json: n_embd must be between 1 and 1048576")
        .hasMessageEndingWith("got 1000000000");
  }

  @Test
  void rotaryMaxPositionsBeyondTheSequenceLimitOnlySetTheDefault() {
    // Qwen2.5-1M and others declare millions of positions: rotary positions have no weights.
    String config =
        LLAMA.replace("\"max_position_embeddings\": 16", "\"max_position_embeddings\": 10485760");
    TransformerConfig c =
        HuggingFaceConfig.architecture(InputNode.parse("c.json", config, false), "m");
    assertThat(c.defaultSequenceLength()).isEqualTo(HuggingFaceConfig.MAX_DEFAULT_SEQUENCE);
    assertThat(c.positions()).isZero();
  }

  private static ModelSpec modelFile(String layerFields) {
    return ModelFile.fromNode(
        InputNode.parse(
            "m.json",
            "{\"layers\": [{\"name\": \"a\", \"forwardFlops\": 1" + layerFields + "}]}",
            false),
        "m");
  }

  @Test
  void modelFileRefusesAHugeBytesField() {
    assertThatThrownBy(() -> modelFile(", \"savedActivationBytes\": 9223372036854775807"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "m.json: layers[0].savedActivationBytes must be between 0 and 9007199254740992"
                + " (pipeplan's limit, see docs/formats.md), got 9223372036854775807");
    assertThatThrownBy(() -> modelFile(", \"outputBytes\": 1e300"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("m.json: layers[0].outputBytes must be between 0 and ")
        .hasMessageEndingWith("got 1.0E300");
    assertThatThrownBy(() -> modelFile(", \"activationBytes\": 123456789012345678901234567890"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("m.json: layers[0].activationBytes must be between 0 and ")
        .hasMessageEndingWith("got 123456789012345678901234567890");
  }

  @Test
  void modelFileParameterBytesNearLongMaxIsOutOfRangeNotNegative() {
    // (bytes + dtype size - 1) overflowed into a negative parameter count.
    assertThatThrownBy(() -> modelFile(", \"parameterBytes\": 9223372036854775807"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("m.json: layers[0].parameterBytes must be between 0 and ")
        .hasMessageEndingWith("got 9223372036854775807");
    // In bytes but past the parameter limit once divided by fp32's 4 bytes.
    assertThatThrownBy(() -> modelFile(", \"parameterBytes\": 9007199254740992"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("m.json: layers[0].parameterBytes (9007199254740992)")
        .hasMessageContaining("over pipeplan's limit of " + ModelLimits.MAX_LAYER_PARAMETERS);
  }

  @Test
  void modelFileAcceptsBytesAtTheLimit() {
    ModelSpec m =
        modelFile(
            ", \"savedActivationBytes\": 9007199254740992, \"outputBytes\": 9007199254740992,"
                + " \"parameterCount\": "
                + ModelLimits.MAX_LAYER_PARAMETERS);
    assertThat(m.layer(0).savedActivationBytes()).isEqualTo(ModelLimits.MAX_LAYER_BYTES);
    assertThat(m.layer(0).outputBytes()).isEqualTo(ModelLimits.MAX_LAYER_BYTES);
    assertThat(m.totalParameters()).isEqualTo(ModelLimits.MAX_LAYER_PARAMETERS);
    assertThatThrownBy(
            () -> modelFile(", \"parameterCount\": " + (ModelLimits.MAX_LAYER_PARAMETERS + 1)))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("m.json: layers[0].parameterCount must be between 0 and ");
  }

  @Test
  void modelFileRefusesFlopsTimesAndShapesPastTheLimits() {
    assertThatThrownBy(() -> modelFile(", \"backwardFlops\": 1e300"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "m.json: layers[0].backwardFlops must be at most 2.0E24 (pipeplan's limit, see"
                + " docs/formats.md), got 1.0E300");
    assertThatThrownBy(() -> modelFile(", \"forwardMs\": 1e300"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("m.json: layers[0].forwardMs must be at most 1.0E9 ms");
    assertThatThrownBy(() -> modelFile(", \"shape\": {\"hidden\": 2000000000}"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "m.json: layers[0].shape.hidden must be between 0 and 4194304 (pipeplan's limit,"
                + " see docs/formats.md), got 2000000000");
    assertThatThrownBy(() -> modelFile(", \"microBatchSize\": 16777217, \"forwardMs\": 1"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("m.json: layers[0].microBatchSize must be between 1 and 16777216");
    // 0 gets the same range, not a "between 0 and" that it does not meet either
    assertThatThrownBy(() -> modelFile(", \"microBatchSize\": 0, \"forwardMs\": 1"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("m.json: layers[0].microBatchSize must be between 1 and 16777216")
        .hasMessageEndingWith("got 0");
  }

  @Test
  void modelFileSequenceLengthIsLimited() {
    String text = "{\"sequenceLength\": %d, \"layers\": [{\"name\": \"a\", \"forwardFlops\": 1}]}";
    ModelSpec atLimit =
        ModelFile.fromNode(
            InputNode.parse("m.json", String.format(text, ModelLimits.MAX_SEQUENCE), false), "m");
    assertThat(atLimit.sequenceLength()).isEqualTo(ModelLimits.MAX_SEQUENCE);
    assertThatThrownBy(
            () ->
                ModelFile.fromNode(
                    InputNode.parse(
                        "m.json", String.format(text, ModelLimits.MAX_SEQUENCE + 1), false),
                    "m"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "m.json: sequenceLength must be between 0 and 4194304 (pipeplan's limit, see"
                + " docs/formats.md), got 4194305");
  }

  @Test
  void modelFileLayerCountIsLimited() {
    StringBuilder text = new StringBuilder("{\"layers\": [");
    for (int i = 0; i <= ModelLimits.MAX_LAYERS; i++) {
      text.append(i == 0 ? "" : ",").append("{\"name\": \"l").append(i).append("\"}");
    }
    text.append("]}");
    assertThatThrownBy(
            () -> ModelFile.fromNode(InputNode.parse("m.json", text.toString(), false), "m"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "m.json: layers lists 100001 layers, over pipeplan's limit of 100000 (see"
                + " docs/formats.md)");
  }

  @Test
  void modelOfMostBlocksIsNotWrittenWhenItsFileCouldNotBeReadBack(@TempDir Path dir)
      throws IOException {
    // the config's limit is on blocks; the embedding and the head make two layers more
    Path config = dir.resolve("config.json");
    Files.writeString(
        config,
        LLAMA.replace(
            "\"num_hidden_layers\": 2", "\"num_hidden_layers\": " + ModelLimits.MAX_LAYERS));
    ModelSpec model = ModelLoader.load(config.toString());
    Path out = dir.resolve("out").resolve("m.json");

    assertThatThrownBy(() -> ModelLoader.write(model, out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("has 100002 layers, over the limit of 100000 layers in a model file")
        .hasMessageContaining("Maybe remove 2 layers");
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  void trainingFileSequenceLengthIsLimited() {
    assertThatThrownBy(
            () ->
                TrainingFile.fromNode(
                    InputNode.parse(
                        "t.json", "{\"globalBatch\": 8, \"sequenceLength\": 4194305}", false)))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("t.json: sequenceLength must be between 0 and 4194304");
  }

  private static String node(int id, String activationSize) {
    return "node"
        + id
        + " -- Linear -- forward_compute_time=1, backward_compute_time=1, activation_size="
        + activationSize
        + ", parameter_size=0\n";
  }

  @Test
  void graphRefusesAHugeNumber() {
    assertThatThrownBy(() -> PipeDreamGraph.parse("g.txt", node(1, "1e30"), "g", 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "g.txt:1: node 'node1' activation_size must be at most 9007199254740992 (pipeplan's"
                + " limit, see docs/formats.md), got 1e30");
  }

  @Test
  void graphBytesCrossingACutThatOverflowAreBadInput() {
    // 1024 nodes of 2^53 bytes, each in range, all feeding the last node: 2^63 bytes cross the
    // cut before it. A batch size of 1024 keeps every per-sample output in range until then.
    StringBuilder text = new StringBuilder();
    int n = 1024;
    for (int i = 1; i <= n; i++) {
      text.append(node(i, Long.toString(ModelLimits.MAX_LAYER_BYTES)));
    }
    text.append(node(n + 1, "1"));
    for (int i = 1; i <= n; i++) {
      text.append("\tnode").append(i).append(" -- node").append(n + 1).append('\n');
    }
    assertThatThrownBy(() -> PipeDreamGraph.parse("g.txt", text.toString(), "g", n))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("g.txt: bytes crossing the cut after node1024 overflows");
    // Two of them fit a long but not a layer's output limit.
    String two =
        node(1, "9007199254740992")
            + node(2, "9007199254740992")
            + node(3, "1")
            + "\tnode1 -- node3\n\tnode2 -- node3\n";
    assertThatThrownBy(() -> PipeDreamGraph.parse("g.txt", two, "g", 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "g.txt: layer 'node2-Linear' outputBytes (18014398509481984) exceeds the limit of"
                + " 9007199254740992");
  }

  @Test
  void graphBatchSizeIsLimited() {
    assertThatThrownBy(
            () -> PipeDreamGraph.parse("g.txt", node(1, "1"), "g", ModelLimits.MAX_BATCH + 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage("PipeDream batch size (16777217) exceeds the limit of 16777216");
  }
}
