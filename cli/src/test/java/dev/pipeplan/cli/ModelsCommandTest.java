package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.ModelLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelsCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void listShowsEveryZooModel() {
    assertThat(run("models", "list")).isZero();
    assertThat(out.toString()).contains("gpt2-xl", "llama2-70b", "gpt-tiny", "vgg16", "1.56B");
  }

  @Test
  void showJsonReportsPublishedParameterCounts() throws Exception {
    assertThat(run("models", "show", "gpt2-xl", "--json")).isZero();
    JsonNode json = Json.json().readTree(out.toString());
    assertThat(json.get("totalParameters").asLong()).isEqualTo(1_557_611_200L);
    assertThat(json.get("layers")).hasSize(50);
  }

  @Test
  void showJsonReadsBackAsAModelFile() throws Exception {
    assertThat(run("models", "show", "llama2-7b", "--json", "--seq", "2048")).isZero();
    Path file = dir.resolve("m.json");
    Files.writeString(file, out.toString());
    ModelSpec m = ModelLoader.load(file.toString());
    assertThat(m.totalParameters()).isEqualTo(6_738_415_616L);
    assertThat(m.sequenceLength()).isEqualTo(2048);
  }

  @Test
  void importWritesTheModelInTheDtypeAskedFor() throws Exception {
    // Llama-3-8B kept in fp32: the same parameters, twice the saved activations of bf16
    Path fp32 = dir.resolve("fp32.json");
    assertThat(run("models", "import", "llama3-8b", "--dtype", "fp32", "-o", fp32.toString()))
        .isZero();
    ModelSpec wide = ModelLoader.load(fp32.toString());
    ModelSpec own = ModelLoader.load("llama3-8b");
    assertThat(wide.dtype()).isEqualTo(DType.FP32);
    assertThat(wide.totalParameters()).isEqualTo(own.totalParameters());
    assertThat(wide.layer(1).savedActivationBytes())
        .isEqualTo(2 * own.layer(1).savedActivationBytes());
  }

  @Test
  void showPrintsLayerTableAndTotals() {
    assertThat(run("models", "show", "gpt3-175b")).isZero();
    assertThat(out.toString()).contains("block95", "lm_head", "total", "parameters: 174,6");
  }

  @Test
  void measuredModelShowsTimesAndNoFlopColumn() {
    String graph =
        Path.of("..", "models", "src", "test", "resources", "pipedream", "gnmt-graph.txt")
            .toString();
    assertThat(run("models", "show", graph, "--batch-size", "64")).isZero();
    assertThat(out.toString())
        .contains("node3-LSTM", "fwd ms", "6.518", "12.907")
        .doesNotContain("FLOP");
  }

  @Test
  void importWritesOurModelFile() {
    Path out = dir.resolve("llama.yaml");
    String config =
        Path.of("..", "models", "src", "test", "resources", "hf", "llama-2-7b", "config.json")
            .toString();
    assertThat(run("models", "import", config, "-o", out.toString())).isZero();
    assertThat(ModelLoader.load(out.toString()).totalParameters()).isEqualTo(6_738_415_616L);
  }

  @Test
  void showReportsTheSafetensorsTotalOfAConfigWithWideHeads() throws Exception {
    String qwen3 =
        Path.of("..", "models", "src", "test", "resources", "hf", "published", "Qwen3-4B")
            .toString();
    assertThat(run("models", "show", qwen3, "--json")).isZero();
    JsonNode json = Json.json().readTree(out.toString());
    assertThat(json.get("totalParameters").asLong()).isEqualTo(4_022_468_096L);
    assertThat(json.get("layers").get(1).get("shape").get("headDim").asLong()).isEqualTo(128);
  }

  @Test
  void aConfigTheDenseBlockWouldMisPriceExitsTwoNamingTheField() throws Exception {
    Path config = Files.createDirectories(dir.resolve("deepseek")).resolve("config.json");
    Files.writeString(
        config,
        "{\"model_type\": \"deepseek_v3\", \"hidden_act\": \"silu\", \"hidden_size\": 7168,"
            + " \"kv_lora_rank\": 512, \"n_routed_experts\": 256}");
    assertThat(run("models", "show", config.toString())).isEqualTo(2);
    assertThat(err.toString())
        .contains("model_type 'deepseek_v3' is not supported")
        .contains("kv_lora_rank 512")
        .doesNotContain("\tat dev.pipeplan");
  }

  @Test
  void unknownModelExitsTwoWithSuggestion() {
    assertThat(run("models", "show", "gpt2-xxl")).isEqualTo(2);
    assertThat(err.toString())
        .startsWith("error: model 'gpt2-xxl'")
        .contains("Maybe you meant 'gpt2-xl'?")
        .doesNotContain("Exception");
  }

  @Test
  void malformedFileExitsTwoNamingTheFile() throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, "{\"layers\": [{\"name\": \"a\", \"forwardMs\": -1}]}");
    assertThat(run("models", "show", file.toString())).isEqualTo(2);
    assertThat(err.toString().trim())
        .isEqualTo("error: " + file + ": layers[0].forwardMs must be a finite number >= 0, got -1");
  }

  @Test
  void importWithoutOutputIsAUsageError() {
    assertThat(run("models", "import", "gpt-tiny")).isEqualTo(2);
    assertThat(err.toString()).contains("--output");
  }
}
