package dev.pipeplan.executor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActionPaceTest {
  /** F on device 0, then B on device 1 after a wait, all in milliseconds. */
  private static Timeline attempt(long fMs, long bMs, long waitMs) {
    long ms = 1_000_000L;
    return new Timeline(
        Timeline.MEASURED,
        "pair",
        2,
        List.of(
            new TimedAction(0, new Action(ActionType.F, 0, 0), 0, fMs * ms),
            new TimedAction(
                1, new Action(ActionType.B, 1, 0), (fMs + waitMs) * ms, (fMs + waitMs + bMs) * ms)),
        List.of(),
        List.of());
  }

  @Test
  void anAttemptIsSlowByItsActionsTotalOverTheirMediansNotByItsWaits() {
    // Medians: F 10, B 20 (the lower middle of 20, 20, 26, 20): 30 ms in all. Attempt 2's B ran
    // 6 ms long: 36 / 30 = +20%; attempt 3 waited 50 ms for nothing the pace counts; attempt 1
    // ran fast: 0, not negative.
    List<Double> pace =
        paceOf(attempt(10, 20, 0), attempt(8, 20, 0), attempt(10, 26, 0), attempt(10, 20, 50));

    assertThat(pace)
        .satisfiesExactly(
            s -> assertThat(s).isCloseTo(0.0, within(1e-12)),
            s -> assertThat(s).isCloseTo(0.0, within(1e-12)),
            s -> assertThat(s).isCloseTo(0.2, within(1e-12)),
            s -> assertThat(s).isCloseTo(0.0, within(1e-12)));
    assertThat(new ActionPace().slowdowns()).isEmpty();
    assertThat(paceOf(attempt(10, 20, 0))).containsExactly(0.0);
  }

  @Test
  void theRunningMediansAreTheLowerMiddleOfEveryAttemptSoFar() {
    java.util.Random random = new java.util.Random(7);
    ActionPace pace = new ActionPace();
    List<long[]> added = new java.util.ArrayList<>();
    for (int n = 1; n <= 9; n++) {
      long f = 5 + random.nextInt(10);
      long b = 10 + random.nextInt(20);
      added.add(new long[] {f, b});
      pace.add(attempt(f, b, random.nextInt(3)));
      // every attempt judged against the medians of all so far, as a sort would give them
      double reference = 0;
      for (int k = 0; k < 2; k++) {
        final int action = k;
        long[] sorted = added.stream().mapToLong(a -> a[action]).sorted().toArray();
        reference += sorted[(sorted.length - 1) / 2];
      }
      for (int a = 0; a < n; a++) {
        double total = added.get(a)[0] + added.get(a)[1];
        assertThat(pace.slowdowns().get(a))
            .isCloseTo(Math.max(0, total / reference - 1), within(1e-12));
      }
    }
  }

  @Test
  void anAttemptThatSkipsAnActionIsRefused() {
    ActionPace pace = new ActionPace();
    pace.add(attempt(10, 20, 0));
    Timeline onlyF =
        new Timeline(
            Timeline.MEASURED,
            "pair",
            2,
            List.of(new TimedAction(0, new Action(ActionType.F, 0, 0), 0, 10_000_000L)),
            List.of(),
            List.of());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> pace.add(onlyF))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("attempt 1 did not run an action the first attempt ran");
  }

  private static List<Double> paceOf(Timeline... attempts) {
    ActionPace pace = new ActionPace();
    for (Timeline t : attempts) {
      pace.add(t);
    }
    return pace.slowdowns();
  }
}
