package dev.pipeplan.simulator.compare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.Provenance;
import dev.pipeplan.simulator.engine.Jitter;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AccuracyTableTest {
  private static Timeline measured(long stageNanos) {
    return ComparisonTest.timeline(
        Timeline.MEASURED,
        ComparisonTest.at(0, ActionType.F, 0, 0, 0, stageNanos),
        ComparisonTest.at(1, ActionType.F, 1, 0, stageNanos, 2 * stageNanos));
  }

  @Test
  void rowGivesTheMedianIterationAndTheRangeOfAllMeasuredOnes() {
    List<Timeline> iterations =
        List.of(measured(3_000_000), measured(1_000_000), measured(2_000_000));
    MeasuredRun run =
        new MeasuredRun(
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
    AccuracyTable table = new AccuracyTable("gpt-tiny", "test machine", "0.1 0.2 0.3");
    table.add(run, 0.0);
    table.finish("0.4 0.5 0.6");

    String markdown = table.markdown();
    String[] lines = markdown.split("\n");
    String header = lines[3];
    String row = lines[5];
    assertThat(header).contains("| measured ms | measured range ms | error |");
    // median iteration 4 ms of a range 2 to 6 ms
    assertThat(row).startsWith("| gpipe | 2 | 1 | 1 | 2 | 2,2 |").contains("| 4.00 | 2–6 |");
    assertThat(header.split("\\|").length).isEqualTo(row.split("\\|").length);
    assertThat(markdown).contains("before: 0.1 0.2 0.3; after: 0.4 0.5 0.6");
  }

  private static Timeline ofKind(Timeline t, String kind) {
    return new Timeline(t.source(), kind, t.deviceCount(), t.actions(), t.transfers(), t.memory());
  }

  /** A run of the table's shape whose speed probe took {@code probeNanos}. */
  private static MeasuredRun probed(String kind, long probeNanos) {
    return probed(kind, probeNanos, 0.0);
  }

  /** ... and whose host took {@code steal} of the CPU time. */
  private static MeasuredRun probed(String kind, long probeNanos, double steal) {
    List<Timeline> iterations = List.of(ofKind(measured(2_000_000), kind));
    RunNoise noise =
        new RunNoise(List.of(), 2, "0.1", "0.1", 0.0, steal, true, List.of(0.0), 0, probeNanos);
    return new MeasuredRun(
        "gpt-tiny",
        kind,
        2,
        1,
        1,
        2,
        "2,2",
        ofKind(ComparisonTest.predicted(), kind),
        iterations,
        0,
        List.of(5.0),
        1,
        "cpu",
        "test machine",
        "OMP_NUM_THREADS=1",
        42L,
        List.of(),
        noise,
        null,
        0);
  }

  @Test
  void eachRunSaysHowFastTheMachineRanAgainstTheReferenceAndWarnsBeyondTheMargin() {
    AccuracyTable table = new AccuracyTable("gpt-tiny", "test machine", "0.1 0.2 0.3");
    table.compareSpeedWith(1_000_000, "the runs the calibration was fitted on");
    table.add(probed("gpipe", 1_100_000), 0.0);
    table.add(probed("1f1b", 1_020_000), 0.0);
    table.add(probed("zb-h1", 0), 0.0);
    String[] lines = table.markdown().split("\n");
    assertThat(lines[3]).endsWith("| machine speed vs the runs the calibration was fitted on |");
    assertThat(lines[5]).endsWith("| +10% slower |");
    assertThat(lines[6]).endsWith("| +2% slower |");
    assertThat(lines[7]).endsWith("| – |");
    assertThat(lines[3].split("\\|").length).isEqualTo(lines[5].split("\\|").length);
    String markdown = table.markdown();
    assertThat(markdown)
        .contains("WARNING: gpipe: the machine ran 10% slower than the runs the calibration")
        .doesNotContain("WARNING: 1f1b");
  }

  @Test
  void eachRowSaysWhatTheHostTookAndABusyHostWarns() {
    AccuracyTable table = new AccuracyTable("gpt-tiny", "test machine", "0.1 0.2 0.3");
    table.add(probed("gpipe", 1_000_000, 0.12), 0.0);
    table.add(probed("1f1b", 1_000_000, 0.01), 0.0);
    String[] lines = table.markdown().split("\n");
    assertThat(lines[3]).contains("| other processes (cores), host steal |");
    assertThat(lines[5]).contains("| 0.0 of 2, host 12% |");
    assertThat(lines[6]).contains("| 0.0 of 2, host 1% |");
    assertThat(table.markdown())
        .contains("WARNING: gpipe: the machine was busy: the host took 12% of the CPU time")
        .doesNotContain("WARNING: 1f1b");
  }

  @Test
  void aRowGivesThePredictionUnderJitterAndItsErrorWhenThereIsOne() {
    AccuracyTable table = new AccuracyTable("gpt-tiny", "test machine", "0.1 0.2 0.3");
    // measured iteration 4 ms; under jitter the prediction's median is 4.2 ms
    table.add(
        probed("gpipe", 1_000_000),
        0.0,
        Optional.of(
            new Jitter.Spread(0.1, 200, 4_000_000, 4_200_000, 4_100_000, 4_300_000, 4_210_000)));
    table.add(probed("1f1b", 1_000_000), 0.0);
    String[] lines = table.markdown().split("\n");
    assertThat(lines[3]).contains("| predicted with jitter ms (error) |");
    assertThat(lines[5]).contains("| 4.20 (+5.0%) |");
    assertThat(lines[6]).contains("| – |");
    assertThat(lines[3].split("\\|").length).isEqualTo(lines[5].split("\\|").length);
  }

  @Test
  void aRowMeasuredAgainAfterABusyAttemptSaysSo() {
    AccuracyTable table = new AccuracyTable("gpt-tiny", "test machine", "0.1 0.2 0.3");
    table.add(probed("gpipe", 1_000_000), 0.0);
    table.measuredAgain("gpipe", List.of("the machine was busy: the host took 21%"));
    table.add(probed("1f1b", 1_000_000), 0.0);
    table.measuredAgain("1f1b", List.of());
    assertThat(table.markdown())
        .contains(
            "MEASURED AGAIN: gpipe: attempt 1 of 2 was not kept (the machine was busy: the host"
                + " took 21%)")
        .doesNotContain("MEASURED AGAIN: 1f1b");
  }

  @Test
  void withoutAReferenceTheRunsAreComparedWithTheirOwnMedian() {
    AccuracyTable table = new AccuracyTable("gpt-tiny", "test machine", "0.1 0.2 0.3");
    table.add(probed("gpipe", 900_000), 0.0);
    table.add(probed("1f1b", 1_000_000), 0.0);
    table.add(probed("zb-h1", 1_000_000), 0.0);
    String[] lines = table.markdown().split("\n");
    assertThat(lines[3]).endsWith("| machine speed vs the median of these runs |");
    assertThat(lines[5]).endsWith("| -10% faster |");
    assertThat(lines[6]).endsWith("| +0% |");
  }
}
