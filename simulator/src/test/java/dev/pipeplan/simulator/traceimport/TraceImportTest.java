package dev.pipeplan.simulator.traceimport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.compare.Comparison;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunJson;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceImportTest {
  /**
   * 1F1B on two ranks with two micro-batches, times in ns: rank 0 then rank 1, {action, start,
   * end}.
   */
  private static final Object[][] RANK0 = {
    {"0F0", 0, 10}, {"0F1", 10, 20}, {"0B0", 40, 60}, {"0B1", 70, 90}
  };

  private static final Object[][] RANK1 = {
    {"1F0", 12, 22}, {"1B0", 22, 40}, {"1F1", 40, 50}, {"1B1", 50, 70}
  };

  private static final RunShape SHAPE = new RunShape("gpt-tiny", "1f1b", 2, 1, 2, 4, "5,5");

  private static String launcherTrace(int rank, Object[][] actions, int iterations, String loss) {
    StringBuilder b = new StringBuilder();
    b.append("{\"format\": \"pipeplan-torch-trace\", \"version\": 1, \"rank\": ")
        .append(rank)
        .append(
            ", \"modelName\": \"gpt-tiny\", \"scheduleName\": \"1f1b\", \"pipelineDevices\": 2,")
        .append(
            " \"virtualStages\": 1, \"microBatchCount\": 2, \"microBatchSize\": 4, \"partition\": \"5,5\",")
        .append(" \"stages\": [")
        .append(rank)
        .append("], \"worldSize\": 2, \"device\": \"cpu\",")
        .append(
            " \"backend\": \"gloo\", \"torchVersion\": \"2.11.0\", \"machine\": \"test host\", \"seed\": 7,")
        .append(" \"warmupIterations\": 2, \"threadSettings\": \"torch.get_num_threads() = 1\",")
        .append(" \"iterations\": [");
    for (int it = 0; it < iterations; it++) {
      b.append(it == 0 ? "" : ", ")
          .append("{\"iteration\": ")
          .append(it + 2)
          .append(", \"startMonotonicNanos\": 123456789, \"loss\": ")
          .append(loss)
          .append(", \"actions\": [");
      for (int a = 0; a < actions.length; a++) {
        // later iterations run a little slower, so the median iteration is the middle one
        int stretch = it;
        b.append(a == 0 ? "" : ", ")
            .append("{\"action\": \"")
            .append(actions[a][0])
            .append("\", \"startNanos\": ")
            .append((int) actions[a][1] + stretch * a)
            .append(", \"endNanos\": ")
            .append((int) actions[a][2] + stretch * (a + 1))
            .append('}');
      }
      b.append("]}");
    }
    return b.append("]}\n").toString();
  }

  private static List<String> actionNames(Timeline t) {
    List<String> out = new ArrayList<>();
    for (TimedAction a : t.actions()) {
      out.add(a.device() + ":" + a.action() + "@" + a.startNanos() + "-" + a.endNanos());
    }
    return out;
  }

  private static Timeline predictedAtTwiceTheMeasuredTimes() {
    List<TimedAction> actions = new ArrayList<>();
    for (Object[][] rank : new Object[][][] {RANK0, RANK1}) {
      for (Object[] a : rank) {
        String name = (String) a[0];
        Action action =
            Action.of(
                ActionType.valueOf(name.substring(1, 2)),
                name.charAt(0) - '0',
                name.charAt(2) - '0');
        actions.add(new TimedAction(action.stage(), action, 2L * (int) a[1], 2L * (int) a[2]));
      }
    }
    return new Timeline(Timeline.PREDICTED, "1f1b", 2, actions, List.of(), List.of());
  }

  @Test
  void launcherTracesOfAFolderJoinIntoOneTimelinePerIteration(@TempDir Path tmp)
      throws IOException {
    Files.writeString(tmp.resolve("rank1.json"), launcherTrace(1, RANK1, 3, "4.25"));
    Files.writeString(tmp.resolve("rank0.json"), launcherTrace(0, RANK0, 3, "null"));
    Files.writeString(tmp.resolve("rank0.chrome.json"), "{\"traceEvents\": []}");

    ImportedTrace trace = TraceImport.read(List.of(tmp));

    assertThat(trace.files()).hasSize(2);
    assertThat(trace.iterations()).hasSize(3);
    assertThat(trace.losses()).containsExactly(4.25, 4.25, 4.25);
    Timeline first = trace.iterations().get(0);
    assertThat(first.deviceCount()).isEqualTo(2);
    assertThat(first.source()).isEqualTo("pytorch");
    assertThat(actionNames(first))
        .containsExactly(
            "0:0F0@0-10",
            "0:0F1@10-20",
            "0:0B0@40-60",
            "0:0B1@70-90",
            "1:1F0@12-22",
            "1:1B0@22-40",
            "1:1F1@40-50",
            "1:1B1@50-70");
    assertThat(first.makespanNanos()).isEqualTo(90);
    assertThat(trace.info().backend()).isEqualTo("pytorch-gloo-cpu");
    assertThat(trace.info().warmupIterations()).isEqualTo(2);
    assertThat(trace.representative()).isEqualTo(trace.iterations().get(1));
  }

  @Test
  void importedRunComparesWithThePredictionAndSurvivesTheRunFile(@TempDir Path tmp)
      throws IOException {
    Files.writeString(tmp.resolve("rank0.json"), launcherTrace(0, RANK0, 1, "null"));
    Files.writeString(tmp.resolve("rank1.json"), launcherTrace(1, RANK1, 1, "3.5"));

    MeasuredRun run =
        TraceImport.read(List.of(tmp.resolve("rank0.json"), tmp.resolve("rank1.json")))
            .toRun(predictedAtTwiceTheMeasuredTimes(), SHAPE);
    Comparison c = run.comparison();

    assertThat(c.unmatchedActions()).isZero();
    assertThat(c.actions()).hasSize(8);
    assertThat(c.measuredIterationNanos()).isEqualTo(90);
    assertThat(c.predictedIterationNanos()).isEqualTo(180);
    assertThat(c.iterationError()).isCloseTo(1.0, within(1e-12));
    assertThat(c.medianActionError()).isCloseTo(1.0, within(1e-12));
    assertThat(run.backend()).isEqualTo("pytorch-gloo-cpu");
    assertThat(run.seed()).isEqualTo(7);
    assertThat(run.losses()).containsExactly(3.5);

    MeasuredRun back = RunJson.read(RunJson.write(run));
    assertThat(back).isEqualTo(run);
    assertThat(back.comparison().iterationError()).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void chromeTracePrefersTheLaunchersComputeSpansAndSplitsIterations() {
    List<String> events = new ArrayList<>();
    long base = 1_700_000_000_000L; // microseconds, as the profiler writes them
    for (int it = 0; it < 2; it++) {
      long offset = base + it * 1000L;
      for (Object[][] rank : new Object[][][] {RANK0, RANK1}) {
        for (Object[] a : rank) {
          long pid = rank == RANK0 ? 4100 : 4200;
          double ts = offset + (int) a[1] / 1000.0;
          double dur = ((int) a[2] - (int) a[1]) / 1000.0;
          events.add(
              String.format(
                  Locale.ROOT,
                  "{\"ph\": \"X\", \"name\": \"pipeplan:%s\", \"pid\": %d, \"tid\": 1, \"ts\": %.3f, \"dur\": %.3f}",
                  a[0],
                  pid,
                  ts,
                  dur));
          // the runtime's span starts earlier (it includes the wait for the input) and is ignored
          // here
          events.add(
              String.format(
                  Locale.ROOT,
                  "{\"ph\": \"X\", \"name\": \"PP:%s\", \"pid\": %d, \"tid\": 1, \"ts\": %.3f, \"dur\": %.3f}",
                  a[0],
                  pid,
                  ts - 0.005,
                  dur + 0.005));
        }
      }
      events.add(
          "{\"ph\": \"X\", \"name\": \"PP:1SEND_F0\", \"pid\": 4100, \"ts\": "
              + offset
              + ", \"dur\": 1}");
      events.add("{\"ph\": \"B\", \"name\": \"PP:0F0\", \"pid\": 4100, \"ts\": " + offset + "}");
      events.add(
          "{\"ph\": \"X\", \"name\": \"aten::mm\", \"pid\": 4100, \"ts\": "
              + offset
              + ", \"dur\": 3}");
    }
    String trace = "{\"schemaVersion\": 1, \"traceEvents\": [" + String.join(",\n", events) + "]}";

    ImportedTrace imported = TraceImport.parse(List.of(trace), List.of("trace.json"));

    assertThat(imported.iterations()).hasSize(2);
    assertThat(actionNames(imported.iterations().get(1)))
        .containsExactly(
            "0:0F0@0-10",
            "0:0F1@10-20",
            "0:0B0@40-60",
            "0:0B1@70-90",
            "1:1F0@12-22",
            "1:1B0@22-40",
            "1:1F1@40-50",
            "1:1B1@50-70");
    assertThat(imported.info().pipelineDevices()).isEqualTo(2);
    assertThat(imported.info().microBatchCount()).isEqualTo(2);
    assertThat(imported.info().virtualStages()).isEqualTo(1);
    assertThat(imported.info().scheduleName()).isEmpty();
    MeasuredRun run = imported.toRun(predictedAtTwiceTheMeasuredTimes(), SHAPE);
    assertThat(run.comparison().unmatchedActions()).isZero();
    assertThat(run.scheduleName()).isEqualTo("1f1b");
  }

  @Test
  void chromeTracesOfSeveralFilesTakeTheirRankFromDistributedInfo() {
    String rank1 =
        "{\"distributedInfo\": {\"rank\": 1, \"world_size\": 2}, \"traceEvents\": ["
            + "{\"ph\": \"X\", \"name\": \"PP:1F0\", \"pid\": 9, \"ts\": 100.0, \"dur\": 2.5}]}";
    String rank0 =
        "{\"distributedInfo\": {\"rank\": 0, \"world_size\": 2}, \"traceEvents\": ["
            + "{\"ph\": \"X\", \"name\": \"PP:0F0\", \"pid\": 9, \"ts\": 99.0, \"dur\": 1.0}]}";
    ImportedTrace imported = TraceImport.parse(List.of(rank1, rank0), List.of("b.json", "a.json"));
    assertThat(actionNames(imported.iterations().get(0)))
        .containsExactly("0:0F0@0-1000", "1:1F0@1000-3500");
  }

  @Test
  void rejectsALauncherTraceWithoutAnEndAndNamesFileEventAndField() {
    String trace = launcherTrace(0, RANK0, 1, "null").replace(", \"endNanos\": 20", "");
    assertThatThrownBy(() -> TraceImport.parse(List.of(trace), List.of("traces/rank0.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "trace file traces/rank0.json: iterations[0].actions[1]: field 'endNanos' is missing");
  }

  @Test
  void rejectsAnActionThatEndsBeforeItStarts() {
    String trace =
        launcherTrace(0, RANK0, 1, "null").replace("\"endNanos\": 60", "\"endNanos\": 30");
    assertThatThrownBy(() -> TraceImport.parse(List.of(trace), List.of("r0.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "iterations[0].actions[2] (0B0): field 'endNanos' (30) is before 'startNanos' (40)");
  }

  @Test
  void rejectsANegativeStartInAnIterationOtherThanTheMedianOne() {
    // three iterations; the median one is iterations[1], the edit is in iterations[2]
    String trace =
        launcherTrace(0, RANK0, 3, "null")
            .replace(
                "{\"action\": \"0F0\", \"startNanos\": 0, \"endNanos\": 12}",
                "{\"action\": \"0F0\", \"startNanos\": -5, \"endNanos\": 12}");
    assertThat(trace).contains("-5");
    assertThatThrownBy(
            () ->
                TraceImport.parse(
                    List.of(trace, launcherTrace(1, RANK1, 3, "null")),
                    List.of("r0.json", "r1.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "trace file r0.json: iterations[2].actions[0] (0F0): field 'startNanos' is negative"
                + " (-5); times are from the iteration's start");
  }

  @Test
  void rejectsAnActionMissingFromAnIterationOtherThanTheMedianOne() {
    String missing =
        launcherTrace(0, RANK0, 3, "null")
            .replace("{\"action\": \"0F0\", \"startNanos\": 0, \"endNanos\": 12}, ", "");
    assertThat(missing).isNotEqualTo(launcherTrace(0, RANK0, 3, "null"));
    assertThatThrownBy(
            () ->
                TraceImport.parse(
                    List.of(missing, launcherTrace(1, RANK1, 3, "null")),
                    List.of("r0.json", "r1.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "trace file r0.json: iterations[2] has no action 0F0, which iterations[0] has; every"
                + " iteration runs the same actions");
    String extra =
        launcherTrace(0, RANK0, 3, "null")
            .replace(
                "{\"action\": \"0F0\", \"startNanos\": 0, \"endNanos\": 11}",
                "{\"action\": \"0F2\", \"startNanos\": 0, \"endNanos\": 11}");
    assertThatThrownBy(
            () ->
                TraceImport.parse(
                    List.of(extra, launcherTrace(1, RANK1, 3, "null")),
                    List.of("r0.json", "r1.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("iterations[1] has no action 0F0");
  }

  @Test
  void rejectsAMissingRank() {
    assertThatThrownBy(
            () ->
                TraceImport.parse(
                    List.of(launcherTrace(1, RANK1, 1, "1.0")), List.of("rank1.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no file for rank 0 of 2");
  }

  @Test
  void rejectsAChromeEventWithoutDuration() {
    String trace =
        "{\"traceEvents\": [{\"ph\": \"X\", \"name\": \"aten::mm\", \"ts\": 1},"
            + " {\"ph\": \"X\", \"name\": \"PP:0F1\", \"pid\": 1, \"ts\": 5}]}";
    assertThatThrownBy(() -> TraceImport.parse(List.of(trace), List.of("prof.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessage("trace file prof.json: traceEvents[1] ('PP:0F1'): field 'dur' is missing");
  }

  /**
   * A negative 'ts' made the iteration's span overflow into a negative time (written, exit 0), and
   * 'ts' + 'dur' past 2^63 ns failed as an internal error (exit 1).
   */
  @Test
  void rejectsAChromeEventBeforeTimeZeroOrEndingPastTheLongestTrace() {
    String negative =
        "{\"traceEvents\": [{\"ph\": \"X\", \"name\": \"PP:0F1\", \"pid\": 1,"
            + " \"ts\": -9223372036854775, \"dur\": 10}]}";
    assertThatThrownBy(() -> TraceImport.parse(List.of(negative), List.of("prof.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "trace file prof.json: traceEvents[0] ('PP:0F1'): field 'ts' is negative"
                + " (-9223372036854775)");
    String overflowing = negative.replace("-9223372036854775, \"dur\": 10", "9e15, \"dur\": 9e15");
    assertThatThrownBy(() -> TraceImport.parse(List.of(overflowing), List.of("prof.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "trace file prof.json: traceEvents[0] ('PP:0F1'): 'ts' + 'dur' (9.0E15 + 9.0E15"
                + " microseconds) is beyond what a trace can hold (9223372036854775)");
    String huge = negative.replace("-9223372036854775", "1e300");
    assertThatThrownBy(() -> TraceImport.parse(List.of(huge), List.of("prof.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("trace file prof.json: traceEvents[0] ('PP:0F1'): field 'ts' is");
  }

  @Test
  void rejectsActionsOccurringADifferentNumberOfTimesNamingThemAsTheTraceDoes() {
    String trace =
        "{\"traceEvents\": [{\"ph\": \"X\", \"name\": \"PP:0F0\", \"pid\": 1, \"ts\": 1, \"dur\": 2},"
            + " {\"ph\": \"X\", \"name\": \"PP:0F0\", \"pid\": 1, \"ts\": 5, \"dur\": 2},"
            + " {\"ph\": \"X\", \"name\": \"PP:0F1\", \"pid\": 1, \"ts\": 9, \"dur\": 2}]}";
    assertThatThrownBy(() -> TraceImport.parse(List.of(trace), List.of("prof.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("hold action 0F1 on device 0 once but 0F0 on device 0 2 times")
        .hasMessageNotContaining("000000/");
  }

  /** A one-rank Chrome trace of these span names, 10 µs apart. */
  private static String spans(String... names) {
    StringBuilder sb = new StringBuilder("{\"traceEvents\": [");
    for (int i = 0; i < names.length; i++) {
      sb.append(i == 0 ? "" : ", ")
          .append("{\"ph\": \"X\", \"name\": \"")
          .append(names[i])
          .append("\", \"pid\": 1, \"ts\": ")
          .append(10 * i)
          .append(", \"dur\": 5}");
    }
    return sb.append("]}").toString();
  }

  @Test
  void rejectsATraceThatLostAForwardToAMisnamedSpan() {
    // PP:0X0 is skipped: without the check, a timeline of 0F1, 0B0, 0B1 was written
    String trace = spans("PP:0X0", "PP:0F1", "PP:0B0", "PP:0B1");
    assertThatThrownBy(() -> TraceImport.parse(List.of(trace), List.of("prof.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("the Chrome traces have no action 0F0 although")
        .hasMessageContaining("PP:<stage><F|I|W|B><micro-batch>");
  }

  @Test
  void rejectsATraceThatLostABackwardOrAStage() {
    assertThatThrownBy(
            () ->
                TraceImport.parse(
                    List.of(spans("PP:0F0", "PP:0F1", "PP:0B0")), List.of("prof.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("the Chrome traces have no action 0I1 (nor 0B1)");
    assertThatThrownBy(
            () -> TraceImport.parse(List.of(spans("PP:0F0", "PP:2F0")), List.of("prof.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("the Chrome traces have no action 1F0")
        .hasMessageContaining("a rank's trace file is missing");
  }

  @Test
  void acceptsCompleteTracesWithFullOrSplitBackwards() {
    assertThat(
            TraceImport.parse(
                    List.of(spans("PP:0F0", "PP:0F1", "PP:0I0", "PP:0I1", "PP:0W0", "PP:0W1")),
                    List.of("prof.json"))
                .iterations())
        .hasSize(1);
    assertThat(
            TraceImport.parse(
                    List.of(spans("PP:0F0", "PP:0F1", "PP:0B0", "PP:0B1")), List.of("prof.json"))
                .iterations()
                .get(0)
                .actions())
        .hasSize(4);
  }

  @Test
  void rejectsAChromeTraceWithoutPipelineEvents() {
    assertThatThrownBy(
            () -> TraceImport.parse(List.of("{\"traceEvents\": []}"), List.of("empty.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no complete ('ph': 'X') event named PP:<action>");
  }

  @Test
  void rejectsTracesOfAnotherPlan() {
    ImportedTrace trace =
        TraceImport.parse(
            List.of(launcherTrace(0, RANK0, 1, "null"), launcherTrace(1, RANK1, 1, "1.0")),
            List.of("rank0.json", "rank1.json"));
    RunShape other = new RunShape("gpt-tiny", "1f1b", 2, 1, 8, 4, "5,5");
    assertThatThrownBy(() -> trace.toRun(predictedAtTwiceTheMeasuredTimes(), other))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("the traces ran microBatchCount 2 but the plan has 8");
  }

  @Test
  void rejectsMixingLauncherAndChromeTraces() {
    assertThatThrownBy(
            () ->
                TraceImport.parse(
                    List.of(launcherTrace(0, RANK0, 1, "null"), "[]"),
                    List.of("rank0.json", "chrome.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("are of different kinds");
  }
}
