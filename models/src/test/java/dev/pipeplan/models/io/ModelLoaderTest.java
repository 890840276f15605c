package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderTest {
  @TempDir Path dir;

  @Test
  void zooNamesAreCaseInsensitive() {
    assertThat(ModelLoader.load("GPT2-XL").totalParameters()).isEqualTo(1_557_611_200L);
    assertThat(ModelLoader.load("gpt2").name()).isEqualTo("gpt2-small");
  }

  @Test
  void sequenceLengthOverridesTheZooDefault() {
    assertThat(ModelLoader.load("llama2-7b", 1024).sequenceLength()).isEqualTo(1024);
    assertThat(ModelLoader.load("llama2-7b", 0).sequenceLength()).isEqualTo(4096);
  }

  @Test
  void unknownNameSuggestsClosestZooName() {
    assertThatThrownBy(() -> ModelLoader.load("lama2-7b"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "model 'lama2-7b' is not in the zoo nor a file. Maybe you meant 'llama2-7b'?"
                + " See 'pipeplan models list'.");
  }

  @Test
  void missingFileIsReportedAsSuch() {
    assertThatThrownBy(() -> ModelLoader.load("no/such/model.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("no/such/model.json: no such file");
  }

  @Test
  void directoryWithConfigJsonLoadsIt() {
    Path llama = TestFiles.resource("hf/llama-2-7b");
    assertThat(ModelLoader.load(llama.toString()).totalParameters()).isEqualTo(6_738_415_616L);
  }

  @Test
  void modelFileKeepsItsSequenceLength() {
    Path file = TestFiles.resource("modelfiles/analytic.json");
    assertThat(ModelLoader.load(file.toString(), 128).sequenceLength()).isEqualTo(128);
    assertThatThrownBy(() -> ModelLoader.load(file.toString(), 256))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("cannot be changed to 256");
  }

  @Test
  void unrecognisedJsonIsRejected() throws Exception {
    Path file = dir.resolve("x.json");
    Files.writeString(file, "{\"hello\": 1}");
    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + ": not a model file");
  }

  @Test
  void rejectsNegativeSequenceLength() {
    assertThatThrownBy(() -> ModelLoader.load("gpt-tiny", -1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("got -1");
  }

  @Test
  void inputFileIsTheFileLoadReads() throws Exception {
    Path file = dir.resolve("model.json");
    ModelLoader.write(ModelLoader.load("gpt-tiny"), file);
    assertThat(ModelLoader.inputFile(file.toString())).contains(file);
    // a directory is read through its config.json
    Path hf = Files.createDirectories(dir.resolve("hf"));
    Files.writeString(
        hf.resolve("config.json"),
        "{\"model_type\": \"gpt2\", \"n_embd\": 8, \"n_layer\": 2, \"n_head\": 1,"
            + " \"n_positions\": 8, \"vocab_size\": 16}");
    assertThat(ModelLoader.load(hf.toString()).layerCount()).isPositive();
    assertThat(ModelLoader.inputFile(hf.toString())).contains(hf.resolve("config.json"));
    assertThat(ModelLoader.inputFile("gpt-tiny")).isEmpty();
    assertThat(ModelLoader.inputFile(dir.resolve("missing.json").toString())).isEmpty();
  }
}
