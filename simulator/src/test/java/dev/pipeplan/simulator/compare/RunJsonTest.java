package dev.pipeplan.simulator.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.Timeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunJsonTest {

  static MeasuredRun run() {
    Timeline fast =
        ComparisonTest.timeline(
            Timeline.MEASURED,
            ComparisonTest.at(0, ActionType.F, 0, 0, 0, 90),
            ComparisonTest.at(1, ActionType.F, 1, 0, 95, 190));
    Timeline slow =
        ComparisonTest.timeline(
            Timeline.MEASURED,
            ComparisonTest.at(0, ActionType.F, 0, 0, 0, 120),
            ComparisonTest.at(1, ActionType.F, 1, 0, 125, 250));
    Timeline mid =
        ComparisonTest.timeline(
            Timeline.MEASURED,
            ComparisonTest.at(0, ActionType.F, 0, 0, 0, 100),
            ComparisonTest.at(1, ActionType.F, 1, 0, 105, 210));
    List<Timeline> iterations = List.of(slow, fast, mid);
    return new MeasuredRun(
        "gpt-tiny",
        "gpipe",
        2,
        1,
        1,
        2,
        "2,2",
        ComparisonTest.predicted(),
        iterations,
        MeasuredRun.medianIteration(iterations),
        List.of(5.5, 5.25, 5.0),
        1,
        "cpu",
        "test machine",
        "OMP_NUM_THREADS=1",
        42L,
        List.of(),
        RunNoise.unknown(),
        Provenance.unrecorded(),
        0);
  }

  @Test
  void roundTripGivesAnEqualRunAndTheSameBytes() {
    MeasuredRun run = run();
    String json = RunJson.write(run);
    MeasuredRun back = RunJson.read(json);
    assertThat(back).isEqualTo(run);
    assertThat(RunJson.write(back)).isEqualTo(json);
  }

  @Test
  void aRunKeepsItsSequenceLengthAndAnOlderFileReadsAsUnknown() {
    MeasuredRun at64 = run().withSequenceLength(64);
    String json = RunJson.write(at64);
    assertThat(json).contains("\"sequenceLength\" : 64");
    assertThat(RunJson.read(json)).isEqualTo(at64);
    assertThat(RunJson.write(run())).doesNotContain("sequenceLength");
    assertThat(RunJson.read(RunJson.write(run())).sequenceLength()).isZero();
  }

  @Test
  void aRunKeepsItsPlansProvenanceAndAnOlderFileReadsAsUnrecorded() {
    dev.pipeplan.models.Provenance made =
        new dev.pipeplan.models.Provenance("9.9", "analytic roofline", "pp 2", "cpu:1x2");
    MeasuredRun withIt = run().withProvenance(made);
    String json = RunJson.write(withIt);
    assertThat(json).contains("\"provenance\"", "analytic roofline");
    assertThat(RunJson.read(json).provenance()).isEqualTo(made);
    String older = RunJson.write(run());
    assertThat(older).doesNotContain("provenance");
    assertThat(RunJson.read(older).provenance())
        .isEqualTo(dev.pipeplan.models.Provenance.unrecorded());
  }

  @Test
  void embedsTimelinesInTheTimelineFileFormat() {
    String json = RunJson.write(run());
    assertThat(json)
        .contains("\"format\" : \"pipeplan-run\"")
        .contains("\"format\" : \"pipeplan-timeline\"")
        .contains("\"comparison\"");
  }

  @Test
  void rejectsAnotherFormatVersion() {
    String written = RunJson.write(run());
    String json = written.replaceFirst("\"version\" : 1", "\"version\" : 2");
    assertThatThrownBy(() -> RunJson.read(json))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("version 2");
  }

  @Test
  void representativeIsTheMedianIteration() {
    assertThat(run().representativeIteration()).isEqualTo(2);
    assertThat(run().representative().makespanNanos()).isEqualTo(210);
  }

  @Test
  void rejectsLossesThatDoNotMatchTheIterations() {
    MeasuredRun r = run();
    assertThatThrownBy(
            () ->
                new MeasuredRun(
                    r.modelName(),
                    r.scheduleName(),
                    2,
                    1,
                    1,
                    2,
                    "2,2",
                    r.predicted(),
                    r.iterations(),
                    0,
                    List.of(1.0),
                    0,
                    "cpu",
                    "",
                    "",
                    1L,
                    List.of(),
                    RunNoise.unknown(),
                    Provenance.unrecorded(),
                    0))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("1 losses for 3 iterations");
  }

  private static MeasuredRun withLosses(List<Double> losses) {
    MeasuredRun r = run();
    return new MeasuredRun(
        r.modelName(),
        r.scheduleName(),
        r.pipelineDevices(),
        r.virtualStages(),
        r.microBatchCount(),
        r.microBatchSize(),
        r.partition(),
        r.predicted(),
        r.iterations(),
        r.representativeIteration(),
        losses,
        r.warmupIterations(),
        r.backend(),
        r.machine(),
        r.threadSettings(),
        r.seed(),
        List.of(),
        RunNoise.unknown(),
        Provenance.unrecorded(),
        0);
  }

  /** The run file of {@link #run()} with {@code edit} applied to its JSON tree. */
  private static Path edited(Path dir, Consumer<ObjectNode> edit) throws IOException {
    ObjectNode root = (ObjectNode) Json.json().readTree(RunJson.write(run()));
    edit.accept(root);
    Path file = dir.resolve("edited-run.json");
    Files.writeString(file, Json.write(root));
    return file;
  }

  @Test
  void nonFiniteLossesRoundTripAsTheirNames() {
    MeasuredRun run =
        withLosses(List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
    String json = RunJson.write(run);
    assertThat(json).contains("\"NaN\"", "\"Infinity\"", "\"-Infinity\"");
    assertThat(RunJson.read(json).losses())
        .containsExactly(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
    assertThat(RunJson.write(RunJson.read(json))).isEqualTo(json);
  }

  @Test
  void refusesALossThatIsNotANumberNamingFileFieldAndValue(@TempDir Path dir) throws IOException {
    Path file = edited(dir, root -> ((ArrayNode) root.get("losses")).set(1, "abc"));
    assertThatThrownBy(() -> RunJson.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "run file "
                + file
                + ": losses[1] is \"abc\", expected a number (or \"NaN\", \"Infinity\" or"
                + " \"-Infinity\" for a loss that was not finite)");
  }

  @Test
  void namesTheFileAndTheIterationOfABadTimeline(@TempDir Path dir) throws IOException {
    Path outside =
        edited(
            dir,
            root ->
                ((ObjectNode) root.get("iterations").get(1).get("actions").get(0))
                    .put("device", 7));
    assertThatThrownBy(() -> RunJson.read(outside))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "run file "
                + outside
                + ": iterations[1]: timeline action 0F0 is on device 7, outside"
                + " 0..1");
    Path backwards =
        edited(
            dir,
            root -> ((ObjectNode) root.get("predicted").get("actions").get(0)).put("endNanos", -1));
    assertThatThrownBy(() -> RunJson.read(backwards))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("run file " + backwards + ": predicted: ")
        .hasMessageContaining("ends (-1) before it starts");
  }

  @Test
  void refusesAnIterationWithActionsTheRunDoesNotHaveOrAPartitionOfOtherStages(@TempDir Path dir)
      throws IOException {
    Path otherMicroBatch =
        edited(
            dir,
            root ->
                ((ObjectNode) root.get("iterations").get(1).get("actions").get(1))
                    .put("action", "1F3"));
    assertThatThrownBy(() -> RunJson.read(otherMicroBatch))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "run file "
                + otherMicroBatch
                + ": run iteration 2: action 1F3 is of micro-batch 3, outside the run's"
                + " micro-batches 0..0");
    Path otherStage =
        edited(
            dir,
            root ->
                ((ObjectNode) root.get("iterations").get(0).get("actions").get(1))
                    .put("action", "5F0"));
    assertThatThrownBy(() -> RunJson.read(otherStage))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("action 5F0 is on stage 5, outside the run's stages 0..1");
    Path twice =
        edited(
            dir,
            root ->
                ((ObjectNode) root.get("iterations").get(0).get("actions").get(1))
                    .put("action", "0F0"));
    assertThatThrownBy(() -> RunJson.read(twice))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("run iteration 1: action 0F0 is timed twice; each action runs once");
    Path partition = edited(dir, root -> root.put("partition", "1,1,2"));
    assertThatThrownBy(() -> RunJson.read(partition))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "run partition 1,1,2 has 3 stages but pipelineDevices x virtualStages is 2 x 1 = 2;"
                + " they must match");
  }

  @Test
  void refusesANoiseFieldOfTheWrongTypeInsteadOfReadingZero(@TempDir Path dir) throws IOException {
    String noise =
        "{\"workers\": [{\"device\": 0, \"busyWallNanos\": %s, \"busyCpuNanos\": 10}],"
            + " \"cores\": 2, \"loadAverageBefore\": \"1.0\", \"loadAverageAfter\": \"1.0\","
            + " \"otherProcessCores\": 0.0, \"stealFraction\": %s, \"cpuTimeComparable\": %s}";
    for (String[] bad :
        new String[][] {
          {"\"abc\"", "0.0", "true", "'busyWallNanos' must be an integer, got \"abc\""},
          {"12.5", "0.0", "true", "'busyWallNanos' must be an integer, got 12.5"},
          {"10", "\"x\"", "true", "'stealFraction' must be a number, got \"x\""},
          {"10", "0.0", "\"yes\"", "'cpuTimeComparable' must be true or false, got \"yes\""}
        }) {
      Path file =
          edited(
              dir,
              root -> {
                try {
                  root.set(
                      "noise", Json.json().readTree(String.format(noise, bad[0], bad[1], bad[2])));
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      assertThatThrownBy(() -> RunJson.read(file))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining(bad[3]);
    }
  }

  @Test
  void rejectsMalformedJson() {
    assertThatThrownBy(() -> RunJson.read("{\"modelName\": 3"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("run file is truncated (ends inside modelName, line 1)");
    assertThatThrownBy(() -> RunJson.read("{\"modelName\": 3]"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "run file is not valid JSON (line 1, column 16): Unexpected close marker ']': expected '}'")
        .hasMessageNotContaining("Source");
  }
}
