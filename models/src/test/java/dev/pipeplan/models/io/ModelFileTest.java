package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.zoo.Zoo;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {
  @TempDir Path dir;

  @Test
  void measuredModelIsFirstClass() {
    ModelSpec m = ModelLoader.load(TestFiles.resource("modelfiles/measured.yaml").toString());
    assertThat(m.name()).isEqualTo("measured-mlp");
    assertThat(m.fullyMeasured()).isTrue();
    assertThat(m.layerCount()).isEqualTo(4);
    LayerSpec input = m.layer(0);
    assertThat(input.kind()).isEqualTo(LayerKind.OTHER);
    assertThat(input.measured()).isEqualTo(new MeasuredTimes(8, 500_000, 500_000, 500_000));
    assertThat(input.outputBytes()).isEqualTo(3072);
    LayerSpec fc1 = m.layer(1);
    assertThat(fc1.measured()).isEqualTo(new MeasuredTimes(8, 1_250_000, 1_000_000, 1_500_000));
    assertThat(fc1.parameterCount()).isEqualTo(4_198_400 / 4);
    assertThat(fc1.savedActivationBytes()).isEqualTo(4096);
    LayerSpec fc2 = m.layer(2);
    assertThat(fc2.measured()).isEqualTo(new MeasuredTimes(8, 2_000_000, 4_000_000, 0));
    assertThat(fc2.parameterCount()).isEqualTo(1_049_600);
  }

  @Test
  void analyticModelDefaultsBackwardToForwardPerHalf() {
    ModelSpec m = ModelLoader.load(TestFiles.resource("modelfiles/analytic.json").toString());
    assertThat(m.dtype()).isEqualTo(DType.BF16);
    assertThat(m.sequenceLength()).isEqualTo(128);
    assertThat(m.fullyMeasured()).isFalse();
    assertThat(m.layer(0).backwardInputFlops()).isEqualTo(536_870_912.0);
    assertThat(m.layer(0).backwardWeightFlops()).isEqualTo(536_870_912.0);
    assertThat(m.layer(0).shape().values()).containsEntry("hidden", 2048L);
    assertThat(m.totalParameters()).isEqualTo(2 * 2_099_712L);
  }

  @Test
  void zooModelRoundTripsThroughJsonAndYaml() {
    ModelSpec gpt = Zoo.get("gpt2-small");
    Path json = dir.resolve("gpt.json");
    Path yaml = dir.resolve("gpt.yaml");
    ModelLoader.write(gpt, json);
    ModelLoader.write(gpt, yaml);
    assertThat(ModelLoader.load(json.toString())).isEqualTo(gpt);
    assertThat(ModelLoader.load(yaml.toString())).isEqualTo(gpt);
  }

  @Test
  void measuredModelRoundTrips() throws Exception {
    ModelSpec m = ModelLoader.load(TestFiles.resource("pipedream/gnmt-graph.txt").toString());
    Path json = dir.resolve("gnmt.json");
    ModelLoader.write(m, json);
    assertThat(ModelLoader.load(json.toString())).isEqualTo(m);
    String first = Files.readString(json);
    ModelLoader.write(ModelLoader.load(json.toString()), json);
    assertThat(Files.readString(json)).as("writing is deterministic").isEqualTo(first);
  }

  @Test
  void negativeValueNamesFileJsonPathAndValue() {
    Path file = TestFiles.resource("modelfiles/bad-negative.json");
    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(file + ": layers[3].forwardMs must be a finite number >= 0, got -2");
  }

  @Test
  void malformedJsonNamesFileAndPosition() {
    Path file = TestFiles.resource("modelfiles/bad-syntax.json");
    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + " is not valid JSON (line 4, column 36)")
        .hasMessageNotContaining("Source");
  }

  @Test
  void truncatedJsonSaysWhereItEnds(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path file = dir.resolve("cut.json");
    java.nio.file.Files.writeString(
        file, "{\n  \"name\": \"x\",\n  \"layers\": [\n    {\"kind\": ");
    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(file + " is truncated (ends inside layers[0].kind, line 4)");
  }

  @Test
  void malformedYamlNamesFile() {
    Path file = TestFiles.resource("modelfiles/bad-syntax.yaml");
    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + ": malformed YAML");
  }

  @Test
  void missingForwardTimeIsReported() throws Exception {
    Path file = dir.resolve("m.json");
    Files.writeString(file, "{\"layers\": [{\"name\": \"a\", \"backwardMs\": 2}]}");
    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            file
                + ": layers[0] needs 'forwardMs' (measured) or 'forwardFlops' (analytic); layer 'a' has"
                + " neither");
  }

  @Test
  void misspelledFieldGetsASuggestion() throws Exception {
    Path file = dir.resolve("m.yaml");
    Files.writeString(file, "layers:\n  - name: a\n    fowardMs: 2\n");
    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            file + ": layers[0].fowardMs is not a known field. Maybe you meant 'forwardMs'?");
  }

  @Test
  void aRefusedShapeNamesTheFileAndTheLayer() throws Exception {
    Path file = dir.resolve("m.json");
    Files.writeString(
        file,
        "{\"layers\": [{\"name\": \"a\", \"forwardFlops\": 1}, {\"name\": \"b\","
            + " \"kind\": \"transformer_block\", \"forwardFlops\": 1, \"shape\": {\"part\": 5}}]}");
    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + ": layers[1].shape is refused: ")
        .hasMessageContaining("'part' is 5");
    Files.writeString(
        file,
        "{\"layers\": [{\"name\": \"h\", \"kind\": \"lm_head\", \"forwardFlops\": 1,"
            + " \"shape\": {\"slice\": 1}}]}");
    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + ": layers[0].shape is refused: ")
        .hasMessageContaining("slices absent");
  }

  @Test
  void duplicateLayerNamesAreRejected() throws Exception {
    Path file = dir.resolve("m.json");
    Files.writeString(
        file,
        "{\"layers\": [{\"name\": \"a\", \"forwardMs\": 1}, {\"name\": \"a\", \"forwardMs\": 1}]}");
    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("layers[1].name 'a' is used by an earlier layer");
  }

  @Test
  void wrongTypeIsReported() throws Exception {
    Path file = dir.resolve("m.json");
    Files.writeString(
        file, "{\"layers\": [{\"name\": \"a\", \"forwardMs\": 1, \"parameterCount\": \"many\"}]}");
    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(file + ": layers[0].parameterCount must be a whole number >= 0, got 'many'");
  }
}
