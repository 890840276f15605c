package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.PlanPrediction;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plan --optimizer-post-validation} and the commands that replay its plan. */
class PostValidatedPlanCommandTest {
  @TempDir Path dir;

  private StringWriter out = new StringWriter();
  private StringWriter err = new StringWriter();

  private int run(String... args) {
    out = new StringWriter();
    err = new StringWriter();
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private Path plan(String name, String schedules, boolean postValidated) {
    Path file = dir.resolve(name);
    String[] base = {
      "plan",
      "--model",
      "gpt2-small",
      "--cluster",
      "h100:1x4",
      "--global-batch",
      "16",
      "--pp",
      "4",
      "--microbatches",
      "16",
      "--schedules",
      schedules,
      "--quiet",
      "-o",
      file.toString()
    };
    String[] args = base;
    if (postValidated) {
      args = java.util.Arrays.copyOf(base, base.length + 1);
      args[base.length] = "--optimizer-post-validation";
    }
    assertThat(run(args)).as(err.toString()).isZero();
    return file;
  }

  @Test
  void planSaysWhichKindsArePostValidatedAndRecordsTheChoice() {
    Path file = plan("pv.json", "1f1b,zb-h2", true);
    assertThat(out.toString())
        .contains(
            "Optimizer step: post-validated for zb-h2 (marked *",
            "synchronous for 1f1b",
            "zb-h2*",
            "steady-state period with the optimizer step post-validated");
    Plan plan = PlanJson.read(file);
    assertThat(plan.optimizerPostValidation()).isTrue();
    assertThat(plan.provenance().searchOptions()).contains("optimizer step post-validated");

    Path off = plan("sync.json", "1f1b,zb-h2", false);
    assertThat(out.toString()).doesNotContain("Optimizer step:").doesNotContain("zb-h2*");
    assertThat(PlanJson.read(off).optimizerPostValidation()).isFalse();
    assertThat(PlanJson.read(off).predicted().iterationNanos())
        .isGreaterThanOrEqualTo(plan.predicted().iterationNanos());
  }

  @Test
  void aListOfOnlySynchronousKindsSaysSoAndWritesNoField() throws Exception {
    Path file = plan("gpipe.json", "1f1b,gpipe", true);
    assertThat(out.toString())
        .contains("Optimizer step: synchronous for every searched kind (gpipe, 1f1b)");
    assertThat(Files.readString(file, StandardCharsets.UTF_8))
        .doesNotContain("optimizerPostValidation");
  }

  @Test
  void simulateOfASynchronousPlanSaysWhatThePlansIterationAddsToThePipeline() throws Exception {
    Path file = plan("sync-1f1b.json", "1f1b", false);
    Plan plan = PlanJson.read(file);
    assertThat(run("simulate", "--plan", file.toString())).isZero();
    assertThat(out.toString())
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "the plan's iteration %.3f ms: the pipeline's %.3f ms above",
                plan.predicted().iterationNanos() / 1e6,
                plan.predicted().pipelineNanos() / 1e6));
  }

  @Test
  void simulateReplaysThePeriodOfAPostValidatedPlan() throws Exception {
    Path file = plan("pv.json", "zb-h2", true);
    Plan plan = PlanJson.read(file);
    assertThat(run("simulate", "--plan", file.toString(), "--json")).isZero();
    JsonNode doc = Json.json().readTree(out.toString());
    assertThat(doc.get("optimizerPostValidation").asBoolean()).isTrue();
    assertThat(doc.get("postValidation").get("periodNanos").asLong())
        .isEqualTo(plan.predicted().iterationNanos());
    assertThat(run("simulate", "--plan", file.toString())).isZero();
    assertThat(out.toString())
        .contains("optimizer post-validation: on  steady-state period")
        .contains("back to back with the plan's data-parallel sync and optimizer step");
    assertThat(run("simulate", "--plan", file.toString(), "--jitter", "0.05")).isZero();
    assertThat(out.toString())
        .contains("(draws of one synchronous iteration; the post-validated period is not drawn)");
    // the options that go with --plan: what to print and write, and the plan's own post-validation
    Path timeline = dir.resolve("pv-timeline.json");
    assertThat(
            run(
                "simulate",
                "--plan",
                file.toString(),
                "--optimizer-post-validation",
                "--json",
                "--timeline",
                timeline.toString(),
                "--gantt",
                dir.resolve("pv.svg").toString()))
        .as(err.toString())
        .isZero();
    assertThat(timeline).isRegularFile();

    // a synchronous plan cannot be simulated post-validated from the plan file
    Path sync = plan("sync.json", "zb-h2", false);
    assertThat(run("simulate", "--plan", sync.toString(), "--optimizer-post-validation"))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("optimizerPostValidation field decides")
        .doesNotContain("Exception");
  }

  @Test
  void runRefusesAPostValidatedPlanNamingTheField() {
    Path file = plan("pv.json", "zb-h2", true);
    assertThat(run("run", "--plan", file.toString(), "-o", dir.resolve("run.json").toString()))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("optimizerPostValidation true")
        .contains("steps the optimizer synchronously")
        .doesNotContain("Exception");
    assertThat(dir.resolve("run.json")).doesNotExist();
  }

  @Test
  void exportsSayTheEngineStepsSynchronously() throws Exception {
    Path file = plan("pv.json", "zb-h2", true);
    Plan plan = PlanJson.read(file);
    long synchronous =
        plan.predicted().pipelineNanos()
            + plan.predicted().dataParallelSyncNanos()
            + plan.predicted().optimizerStepNanos();
    Path megatron = dir.resolve("megatron");
    assertThat(
            run("export", "--plan", file.toString(), "--to", "megatron", "-o", megatron.toString()))
        .isZero();
    assertThat(out.toString()).contains("note: the plan's optimizerPostValidation");
    assertThat(Files.readString(megatron.resolve("megatron-args.sh"), StandardCharsets.UTF_8))
        .contains("# Note: the plan's optimizerPostValidation")
        .contains("Megatron-LM steps the optimizer synchronously")
        .contains(String.format(java.util.Locale.ROOT, "%.2f ms", synchronous / 1e6));
    Path csv = dir.resolve("csv");
    assertThat(
            run("export", "--plan", file.toString(), "--to", "pytorch-csv", "-o", csv.toString()))
        .isZero();
    assertThat(Files.readString(csv.resolve("stages.json"), StandardCharsets.UTF_8))
        .contains("\"optimizerStep\"");

    Path sync = plan("sync.json", "zb-h2", false);
    Path plain = dir.resolve("plain");
    assertThat(
            run("export", "--plan", sync.toString(), "--to", "pytorch-csv", "-o", plain.toString()))
        .isZero();
    assertThat(out.toString()).doesNotContain("note:");
    assertThat(Files.readString(plain.resolve("stages.json"), StandardCharsets.UTF_8))
        .doesNotContain("optimizerStep");
  }

  @Test
  void aHandEditedBadValueExitsWithTwoNamingTheField() throws Exception {
    Path file = plan("pv.json", "zb-h2", true);
    String text = Files.readString(file, StandardCharsets.UTF_8);
    Path edited = dir.resolve("edited.json");
    Files.writeString(
        edited,
        text.replace("\"optimizerPostValidation\" : true", "\"optimizerPostValidation\" : \"yes\""),
        StandardCharsets.UTF_8);
    for (String command : new String[] {"simulate", "export", "report"}) {
      String[] args =
          switch (command) {
            case "simulate" -> new String[] {"simulate", "--plan", edited.toString()};
            case "export" ->
                new String[] {
                  "export", "--plan", edited.toString(), "--to", "megatron", "-o", dir.toString()
                };
            default ->
                new String[] {
                  "report", "--plan", edited.toString(), "-o", dir.resolve("r").toString()
                };
          };
      assertThat(run(args)).as(command).isEqualTo(2);
      assertThat(err.toString())
          .as(command)
          .contains("optimizerPostValidation")
          .contains("yes")
          .doesNotContain("Exception");
    }
  }

  @Test
  void theReportNamesThePostValidatedStep() throws Exception {
    Path file = plan("pv.json", "zb-h2", true);
    Path report = dir.resolve("report");
    assertThat(run("report", "--plan", file.toString(), "-o", report.toString())).isZero();
    String html = Files.readString(report.resolve("index.html"), StandardCharsets.UTF_8);
    assertThat(html).contains("steady-state period").contains("post-validated");
    assertThat(PlanPrediction.steadyState(PlanJson.read(file))).isPresent();
    // the summary's bubble (the synchronous pipeline's) and the table's (the steady state's)
    // differ; the summary says which is which, with both numbers
    dev.pipeplan.planner.Plan read = PlanJson.read(file);
    assertThat(html)
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "%.1f%% of one synchronous iteration (the timeline below); %.1f%% of the"
                    + " steady-state period, as in the table below",
                100 * read.predicted().bubbleRatio(),
                100 * read.runnersUp().get(0).bubbleRatio()));
  }
}
