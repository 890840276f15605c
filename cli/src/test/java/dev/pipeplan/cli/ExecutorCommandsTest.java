package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.ProfileJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutorCommandsTest {
  @TempDir Path dir;

  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void profileWritesAProfileOfEveryLayer() {
    Path file = dir.resolve("profile.json");
    Result r =
        run(
            "profile",
            "--model",
            "gpt-tiny",
            "--seq",
            "8",
            "--microbatch-sizes",
            "1,2",
            "--warmup",
            "0",
            "--repeats",
            "1",
            "-o",
            file.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("profiled 10 layers of gpt-tiny at b = [1, 2]").contains("wrote");
    Profile profile = ProfileJson.read(file);
    assertThat(profile.layers()).hasSize(10);
  }

  @Test
  void profileRejectsAnUnknownBackend() {
    Result r =
        run(
            "profile",
            "--model",
            "gpt-tiny",
            "--backend",
            "cuda",
            "-o",
            dir.resolve("p.json").toString());
    assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(r.err()).contains("--backend cuda runs through the ./pipeplan script");
    Result unknown =
        run(
            "profile",
            "--model",
            "gpt-tiny",
            "--backend",
            "tpu",
            "-o",
            dir.resolve("p.json").toString());
    assertThat(unknown.code()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(unknown.err())
        .contains("--backend 'tpu' is unknown")
        .contains("Maybe use --backend cpu");
    assertThat(dir.resolve("p.json")).doesNotExist();
  }

  @Test
  void runOfAPlanPricedForGpusWarnsThatThePredictionIsForAnotherDevice() throws Exception {
    Path plan = dir.resolve("h100-plan.json");
    Result planned =
        run(
            "plan",
            "--model",
            "gpt-tiny",
            "--seq",
            "8",
            "--cluster",
            "h100:1x2",
            "--pp",
            "2",
            "--global-batch",
            "2",
            "--schedules",
            "1f1b",
            "--quiet",
            "-o",
            plan.toString());
    assertThat(planned.code()).as(planned.err()).isZero();
    Path file = dir.resolve("run.json");

    Result r =
        run(
            "run",
            "--plan",
            plan.toString(),
            "--iterations",
            "5",
            "--warmup",
            "0",
            "-o",
            file.toString());

    assertThat(r.code()).as(r.err()).isZero();
    String warning =
        "the prediction is for h100-sxm (the plan's analytic costs for cluster h100:1x2)";
    assertThat(r.err()).startsWith("warning: " + warning).contains("--cluster cpu:1x2 --pp 2");
    assertThat(r.out()).contains("WARNING: " + warning);
    com.fasterxml.jackson.databind.JsonNode comparison =
        dev.pipeplan.models.io.Json.json().readTree(file.toFile()).get("comparison");
    assertThat(comparison.get("predictedForAnotherDevice").asBoolean()).isTrue();
    assertThat(comparison.get("warning").asText()).contains(warning);
  }

  @Test
  void runAcceptsTheCpuBackendAndRefusesAnUnknownOne() {
    Result r = run("run", "--plan", dir.resolve("missing.json").toString(), "--backend", "cpu");
    // --backend cpu is accepted: the run gets as far as reading the plan
    assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(r.err()).contains("missing.json").doesNotContain("Unknown option");
    Result unknown =
        run("run", "--plan", dir.resolve("missing.json").toString(), "--backend", "tpu");
    assertThat(unknown.code()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(unknown.err()).contains("--backend 'tpu' is unknown");
  }

  @Test
  void runRejectsAMissingPlanFile() {
    Result r =
        run(
            "run",
            "--plan",
            dir.resolve("nope.json").toString(),
            "-o",
            dir.resolve("r.json").toString());
    assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(r.err()).contains("does not exist");
  }

  @Test
  void demoRejectsAnUnknownScheduleKindInAccuracyMode() {
    Result r =
        run(
            "demo",
            "--model",
            "gpt-tiny",
            "--seq",
            "8",
            "--accuracy",
            "nonsense",
            "-o",
            dir.toString());
    assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(r.err()).contains("schedule kind 'nonsense' is unknown");
  }

  @Test
  void demoRefusesBusyRetriesOutOfRangeBeforeProfiling() {
    for (String retries : List.of("-1", "6")) {
      Path out = dir.resolve("demo-" + retries);
      Result r =
          run("demo", "--model", "gpt-tiny", "--busy-retries", retries, "-o", out.toString());
      assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
      assertThat(r.err())
          .contains("--busy-retries must be between 0 and 5, got " + retries)
          .doesNotContain("Exception");
      assertThat(out).doesNotExist();
    }
  }
}
