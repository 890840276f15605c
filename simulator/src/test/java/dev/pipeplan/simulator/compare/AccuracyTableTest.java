package dev.pipeplan.simulator.compare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.List;
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
            42L);
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
}
