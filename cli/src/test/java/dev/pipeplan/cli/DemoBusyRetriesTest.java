package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.Provenance;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunNoise;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoBusyRetriesTest {
  /** A one-action run whose host took {@code steal} of the CPU time. */
  private static MeasuredRun run(double steal, long seed) {
    List<TimedAction> actions =
        List.of(new TimedAction(0, new Action(ActionType.F, 0, 0), 0, 1_000_000));
    Timeline predicted =
        new Timeline(Timeline.PREDICTED, "gpipe", 1, actions, List.of(), List.of());
    Timeline measured = new Timeline(Timeline.MEASURED, "gpipe", 1, actions, List.of(), List.of());
    RunNoise noise =
        new RunNoise(
            List.of(new RunNoise.WorkerTime(0, 1_000_000, 1_000_000)), 2, "", "", 0.0, steal, true);
    return new MeasuredRun(
        "gpt-tiny",
        "gpipe",
        1,
        1,
        1,
        1,
        "2",
        predicted,
        List.of(measured),
        0,
        List.of(1.0),
        0,
        "cpu",
        "test",
        "test",
        seed,
        List.of(),
        noise,
        Provenance.unrecorded(),
        0);
  }

  @Test
  void measuresAgainWhileTheHostTookTheCoresAndKeepsTheFirstQuietRun() {
    Iterator<MeasuredRun> runs =
        List.of(run(0.2, 1), run(0.1, 2), run(0.0, 3), run(0.0, 4)).iterator();
    List<String> said = new ArrayList<>();
    DemoCommand.Measured m = DemoCommand.untilQuiet(runs::next, 2, said::add);
    assertThat(m.kept().seed()).isEqualTo(3);
    assertThat(m.busyAttempts())
        .hasSize(2)
        .allSatisfy(w -> assertThat(w).startsWith("the machine was busy: the host took"));
    assertThat(said.get(0))
        .contains("the host took 20% of the CPU time")
        .endsWith("measuring again (attempt 2 of at most 3, --busy-retries)");
    assertThat(runs.next().seed()).isEqualTo(4);
  }

  @Test
  void keepsTheLastAttemptWhenEveryOneWasBusy() {
    Iterator<MeasuredRun> runs = List.of(run(0.2, 1), run(0.3, 2), run(0.0, 3)).iterator();
    DemoCommand.Measured m = DemoCommand.untilQuiet(runs::next, 1, line -> {});
    assertThat(m.kept().seed()).isEqualTo(2);
    assertThat(m.kept().comparisonExcused()).isTrue();
    assertThat(m.busyAttempts()).hasSize(1);
    DemoCommand.Measured once = DemoCommand.untilQuiet(() -> run(0.2, 5), 0, line -> {});
    assertThat(once.kept().seed()).isEqualTo(5);
    assertThat(once.busyAttempts()).isEmpty();
  }
}
