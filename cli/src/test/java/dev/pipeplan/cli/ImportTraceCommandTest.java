package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunJson;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import dev.pipeplan.simulator.timeline.TimelineJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportTraceCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private Plan plan(Path file) {
    assertThat(
            run(
                ("plan --model gpt-tiny --cluster h100:1x2 --global-batch 8 --pp 2 --schedules 1f1b --quiet -o "
                        + file.toString())
                    .split(" ")))
        .as(err.toString())
        .isEqualTo(Main.EXIT_OK);
    return PlanJson.read(file);
  }

  /**
   * Launcher traces of each rank whose every action takes {@code scale} times its predicted time.
   */
  private static void writeTraces(Plan plan, Path folder, double scale) throws Exception {
    writeTraces(plan, folder, scale, 1, -1);
  }

  /**
   * The same over {@code iterations} iterations; in iteration {@code swapped} (from 1; none when
   * out of range) rank 0 runs its first two actions in the other order.
   */
  private static void writeTraces(Plan plan, Path folder, double scale, int iterations, int swapped)
      throws Exception {
    Files.createDirectories(folder);
    Timeline predicted = PlanPrediction.predict(plan).timeline();
    for (int rank = 0; rank < plan.parallelism().pp(); rank++) {
      StringBuilder all = new StringBuilder();
      for (int k = 1; k <= iterations; k++) {
        List<TimedAction> mine = new ArrayList<>();
        for (TimedAction a : predicted.actions()) {
          if (a.device() == rank) {
            mine.add(a);
          }
        }
        if (k == swapped && rank == 0) {
          TimedAction first = mine.get(0);
          TimedAction second = mine.get(1);
          mine.set(0, new TimedAction(0, second.action(), first.startNanos(), first.endNanos()));
          mine.set(1, new TimedAction(0, first.action(), second.startNanos(), second.endNanos()));
        }
        all.append(k == 1 ? "" : ", ")
            .append("{\"iteration\": ")
            .append(k)
            .append(", \"loss\": ")
            .append(rank == 1 ? "5.5" : "null")
            .append(", \"actions\": [")
            .append(actionsJson(mine, scale))
            .append("]}");
      }
      String trace =
          "{\"format\": \"pipeplan-torch-trace\", \"version\": 1, \"rank\": "
              + rank
              + ", \"modelName\": \""
              + plan.model().name()
              + "\", \"scheduleName\": \""
              + plan.scheduleKind()
              + "\", \"pipelineDevices\": "
              + plan.parallelism().pp()
              + ", \"virtualStages\": "
              + plan.virtualStages()
              + ", \"microBatchCount\": "
              + plan.microBatchCount()
              + ", \"microBatchSize\": "
              + plan.microBatchSize()
              + ", \"partition\": \""
              + plan.partition()
              + "\", \"device\": \"cpu\", \"backend\": \"gloo\","
              + " \"machine\": \"test\", \"seed\": 1, \"warmupIterations\": 1, \"threadSettings\": \"1 thread\","
              + " \"iterations\": ["
              + all
              + "]}";
      Files.writeString(folder.resolve("rank" + rank + ".json"), trace);
    }
  }

  private static String actionsJson(List<TimedAction> actions, double scale) {
    StringBuilder b = new StringBuilder();
    for (TimedAction a : actions) {
      b.append(b.length() == 0 ? "" : ", ")
          .append("{\"action\": \"")
          .append(a.action())
          .append("\", \"startNanos\": ")
          .append(Math.round(a.startNanos() * scale))
          .append(", \"endNanos\": ")
          .append(Math.round(a.endNanos() * scale))
          .append('}');
    }
    return b.toString();
  }

  @Test
  void everyIterationIsCheckedAgainstThePlansSchedule() throws Exception {
    Path planFile = dir.resolve("plan.json");
    Plan plan = plan(planFile);
    // three iterations as predicted but for the second, whose rank 0 swaps its first two actions:
    // the median iteration is a clean one, and the warning names the other
    writeTraces(plan, dir.resolve("traces"), 1.0, 3, 2);
    assertThat(
            run(
                "import-trace",
                dir.resolve("traces").toString(),
                "--plan",
                planFile.toString(),
                "-o",
                dir.resolve("run.json").toString()))
        .as(err.toString())
        .isEqualTo(Main.EXIT_OK);
    assertThat(err.toString())
        .contains("warning: the trace is not a run of the plan's schedule (iteration 2 of 3): ")
        .doesNotContain("iterations 1");
    assertThat(out.toString()).contains("3 measured iterations from 2 trace files");
  }

  @Test
  void importedTracesBecomeARunThatTheReportCompares() throws Exception {
    Path planFile = dir.resolve("plan.json");
    Plan plan = plan(planFile);
    writeTraces(plan, dir.resolve("traces"), 2.0);
    Path runFile = dir.resolve("run.json");

    assertThat(
            run(
                "import-trace",
                dir.resolve("traces").toString(),
                "--plan",
                planFile.toString(),
                "-o",
                runFile.toString()))
        .as(err.toString())
        .isEqualTo(Main.EXIT_OK);

    assertThat(out.toString())
        .contains("1 measured iterations from 2 trace files")
        .contains("error -50.0%")
        .contains("unmatched actions 0");
    MeasuredRun measured = RunJson.read(runFile);
    assertThat(measured.comparison().iterationError()).isBetween(-0.501, -0.499);
    assertThat(measured.losses()).containsExactly(5.5);
    assertThat(measured.backend()).isEqualTo("pytorch-gloo-cpu");
    assertThat(
            run(
                "report",
                "--plan",
                planFile.toString(),
                "--measured",
                runFile.toString(),
                "-o",
                dir.resolve("report").toString()))
        .as(err.toString())
        .isEqualTo(Main.EXIT_OK);
    assertThat(dir.resolve("report").resolve("index.html")).isRegularFile();
  }

  @Test
  void withoutAPlanWritesTheMedianTimeline() throws Exception {
    Plan plan = plan(dir.resolve("plan.json"));
    writeTraces(plan, dir.resolve("traces"), 1.0);
    Path timelineFile = dir.resolve("measured.json");
    assertThat(
            run(
                "import-trace",
                dir.resolve("traces").resolve("rank0.json").toString(),
                dir.resolve("traces").resolve("rank1.json").toString(),
                "-o",
                timelineFile.toString()))
        .as(err.toString())
        .isEqualTo(Main.EXIT_OK);
    Timeline timeline = TimelineJson.read(timelineFile);
    assertThat(timeline.makespanNanos())
        .isEqualTo(PlanPrediction.predict(plan).timeline().makespanNanos());
  }

  @Test
  void aMalformedTraceIsBadInput() throws Exception {
    Files.writeString(
        dir.resolve("rank0.json"), "{\"format\": \"pipeplan-torch-trace\", \"version\": 1}");
    assertThat(
            run(
                "import-trace",
                dir.resolve("rank0.json").toString(),
                "-o",
                dir.resolve("x.json").toString()))
        .isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(err.toString()).contains("rank0.json").contains("field 'rank' is missing");
    assertThat(dir.resolve("x.json")).doesNotExist();
  }
}
