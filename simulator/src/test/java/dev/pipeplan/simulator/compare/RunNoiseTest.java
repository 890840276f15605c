package dev.pipeplan.simulator.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.Provenance;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunNoiseTest {
  private static RunNoise noise(long wall0, long cpu0, long wall1, long cpu1, double others) {
    return new RunNoise(
        List.of(new RunNoise.WorkerTime(0, wall0, cpu0), new RunNoise.WorkerTime(1, wall1, cpu1)),
        2,
        "1.00 1.00 1.00",
        "1.90 1.20 1.00",
        others,
        0.0,
        true);
  }

  @Test
  void busyWhenAWorkersActionsTookMoreWallThanCpuTimeBeyondTheMargin() {
    assertThat(noise(105, 100, 100, 100, 0.1).busy()).isFalse();
    RunNoise busy = noise(100, 100, 150, 100, 1.9);
    assertThat(busy.busy()).isTrue();
    assertThat(busy.worstWaitingShare()).isCloseTo(0.5, within(1e-12));
    assertThat(busy.warning())
        .startsWith("the machine was busy: 1.9 of 2 cores taken by other processes")
        .contains("50% more wall time than CPU time")
        .endsWith("the comparison is not a model error");
    assertThat(busy.excusesComparison()).isTrue();
  }

  @Test
  void aWaitWithNoOtherProcessIsNotCalledTheMachines() {
    RunNoise own = noise(100, 100, 130, 100, 0.0);
    assertThat(own.busy()).isTrue();
    // every run on the machine pays this wait: the report does not call the error the machine's
    assertThat(own.excusesComparison()).isFalse();
    assertThat(own.warning())
        .startsWith("the workers waited for a core")
        .contains("30% more wall time", "0.0 of 2 cores", "garbage collection")
        .doesNotContain("not a model error");
  }

  private static RunNoise stolen(double steal) {
    return new RunNoise(
        List.of(new RunNoise.WorkerTime(0, 106, 100), new RunNoise.WorkerTime(1, 104, 100)),
        2,
        "",
        "",
        0.0,
        steal,
        true);
  }

  @Test
  void hostTakingMoreThanTheStealMarginMakesTheRunBusyThoughTheWaitIsUnderItsMargin() {
    // wall over CPU 6%: under BUSY_MARGIN, so only the steal can call this run busy
    RunNoise quiet = stolen(RunNoise.STEAL_MARGIN);
    assertThat(quiet.busy()).isFalse();
    assertThat(quiet.warning()).isEmpty();
    RunNoise taken = stolen(0.12);
    assertThat(taken.stolen()).isTrue();
    assertThat(taken.busy()).isTrue();
    assertThat(taken.excusesComparison()).isTrue();
    assertThat(taken.warning())
        .isEqualTo(
            "the machine was busy: the host took 12% of the CPU time for other virtual machines"
                + " (more than 2%), time in which the workers could not run; the comparison is not"
                + " a model error");
    // unknown steal (-1) is not taken as stolen
    assertThat(stolen(-1).busy()).isFalse();
  }

  @Test
  void cpuTimeOfSeveralNativeThreadsIsNotJudged() {
    RunNoise n =
        new RunNoise(List.of(new RunNoise.WorkerTime(0, 300, 100)), 2, "", "", -1, -1, false);
    assertThat(n.busy()).isFalse();
    assertThat(n.warning()).isEmpty();
  }

  @Test
  void runFileKeepsTheNoiseAndWarnsWhenBusy() {
    MeasuredRun r = RunJsonTest.run();
    MeasuredRun busy =
        new MeasuredRun(
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
            r.losses(),
            r.warmupIterations(),
            r.backend(),
            r.machine(),
            r.threadSettings(),
            r.seed(),
            List.of(List.of(90L, 100L), List.of(80L, 90L), List.of(85L, 95L)),
            noise(100, 100, 150, 100, 1.9),
            Provenance.unrecorded(),
            0);
    String json = RunJson.write(busy);
    assertThat(json).contains("\"machineBusy\" : true").contains("the machine was busy: 1.9 of 2");
    MeasuredRun back = RunJson.read(json);
    assertThat(back).isEqualTo(busy);
    assertThat(RunJson.write(back)).isEqualTo(json);
    assertThat(ComparisonText.lines(back))
        .anySatisfy(l -> assertThat(l).startsWith("WARNING: the machine was busy"));
  }

  /** No workers recorded, a probe and the actions' pace per attempt. */
  private static RunNoise paced(List<Double> probe, int discarded, List<Double> pace) {
    return new RunNoise(List.of(), 2, "", "", 0.0, 0.0, true, probe, discarded, 1, pace);
  }

  private static RunNoise probed(List<Double> slowdowns, int discarded) {
    return new RunNoise(
        List.of(new RunNoise.WorkerTime(0, 100, 100)),
        2,
        "",
        "",
        0.0,
        0.0,
        true,
        slowdowns,
        discarded,
        6_000_000);
  }

  @Test
  void slowEpisodesReplacedAreNotedAndSlowEpisodesKeptMakeTheRunUnreliable() {
    RunNoise replaced = probed(List.of(0.02, 0.31, 0.05, 0.0, 0.18, 0.01, 0.03), 2);
    assertThat(replaced.slowIterations()).isEqualTo(2);
    assertThat(replaced.unsteady()).isFalse();
    assertThat(replaced.busy()).isFalse();
    assertThat(replaced.warning()).isEmpty();
    assertThat(replaced.slowEpisodes())
        .isEqualTo(
            "2 of 7 measured iterations ran in slow episodes of this machine (a fixed probe up to 31%"
                + " slower than usual) and were replaced");
    RunNoise kept = probed(List.of(0.02, 0.31, 0.05), 0);
    assertThat(kept.unsteady()).isTrue();
    assertThat(kept.busy()).isTrue();
    assertThat(kept.warning())
        .startsWith("the machine ran slow: 1 of 3 measured iterations")
        .endsWith("not a model error");
    // Only slow iterations can have been discarded, and slowdowns are >= 0.
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> probed(List.of(0.02, 0.31), 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("discardedIterations");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> probed(List.of(-0.1), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("iterationSlowdowns");
  }

  @Test
  void anIterationWhoseOwnActionsRanSlowIsASlowEpisodeThoughTheProbeMissedIt() {
    // The probe saw nothing over its 15%; the third attempt's actions ran 12% over their medians
    // (the pace's margin is 8%), the second's 6%.
    RunNoise noise =
        new RunNoise(
            List.of(new RunNoise.WorkerTime(0, 100, 100)),
            2,
            "",
            "",
            0.0,
            0.0,
            true,
            List.of(0.02, 0.10, 0.0, 0.01),
            1,
            6_000_000,
            List.of(0.0, 0.06, 0.12, 0.0));
    assertThat(noise.slowIterations()).isEqualTo(1);
    assertThat(noise.unsteady()).isFalse();
    assertThat(noise.slowEpisodes())
        .isEqualTo(
            "1 of 4 measured iterations ran in slow episodes of this machine (a fixed probe up to 10%"
                + " slower than usual, the iterations' own actions up to 12% slower than their"
                + " median) and were replaced");
    MeasuredRun run = RunJsonTest.run().withNoise(noise);
    String json = RunJson.write(run);
    assertThat(json).contains("\"iterationPaceSlowdowns\" : [").contains("0.12");
    assertThat(RunJson.read(json)).isEqualTo(run);
    // one pace per attempt, as many as the probe's
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> paced(List.of(0.0, 0.0), 0, List.of(0.0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("iterationPaceSlowdowns has 1 entries but iterationSlowdowns 2");
    // one slowdown per attempt: the three kept iterations and the one replaced
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> RunJsonTest.run().withNoise(probed(List.of(0.0, 0.0, 0.0, 0.0, 0.0), 0)))
        .isInstanceOf(dev.pipeplan.models.BadInputException.class)
        .hasMessageContaining("iterationSlowdowns has 5 entries, but the run kept 3 iterations");
    // a slowdown past 100 (101 times as long) is not a measurement; the message names the entry
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> paced(List.of(0.0, 0.0), 0, List.of(0.0, 1e300)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("noise iterationPaceSlowdowns[1] is 1.0E300")
        .hasMessageContaining("between 0 and 100");
    // an attempt is replaced only when it ran slow
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> paced(List.of(0.0, 0.0), 1, List.of(0.0, 0.0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "noise discardedIterations is 1, but only 0 of the 2 attempts ran slow");
  }

  @Test
  void aRunFileWithoutNoiseReadsAsUnknown() {
    String json = RunJson.write(RunJsonTest.run());
    assertThat(json).doesNotContain("\"noise\"");
    assertThat(RunJson.read(json).noise()).isEqualTo(RunNoise.unknown());
  }

  @Test
  void bootstrapIntervalContainsZeroOnlyWhenThePredictionIsInsideTheSpread() {
    long[] measured = {100, 104, 96, 101, 99, 103, 97};
    ErrorInterval inside = ErrorInterval.bootstrap(100, measured, 0.95, 2000, 7L);
    assertThat(inside.withinNoise()).isTrue();
    assertThat(inside.lower()).isLessThan(0);
    assertThat(inside.upper()).isGreaterThan(0);
    ErrorInterval outside = ErrorInterval.bootstrap(120, measured, 0.95, 2000, 7L);
    assertThat(outside.withinNoise()).isFalse();
    // every resample's median lies within the measurements, so the interval does too
    assertThat(outside.lower()).isGreaterThanOrEqualTo((120 - 104) / 104.0);
    assertThat(outside.upper()).isLessThanOrEqualTo((120 - 96) / 96.0);
    assertThat(ErrorInterval.bootstrap(120, measured, 0.95, 2000, 7L)).isEqualTo(outside);
  }

  @Test
  void noIntervalFromFewerThanFiveIterations() {
    assertThat(RunJsonTest.run().errorInterval()).isEmpty();
    List<Timeline> five = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      five.add(
          ComparisonTest.timeline(
              Timeline.MEASURED,
              ComparisonTest.at(0, ActionType.F, 0, 0, 0, 100 + i),
              ComparisonTest.at(1, ActionType.F, 1, 0, 105, 210 + i)));
    }
    MeasuredRun r = RunJsonTest.run();
    MeasuredRun longer =
        new MeasuredRun(
            r.modelName(),
            r.scheduleName(),
            r.pipelineDevices(),
            r.virtualStages(),
            r.microBatchCount(),
            r.microBatchSize(),
            r.partition(),
            r.predicted(),
            five,
            MeasuredRun.medianIteration(five),
            List.of(1.0, 1.0, 1.0, 1.0, 1.0),
            0,
            r.backend(),
            r.machine(),
            r.threadSettings(),
            r.seed(),
            List.of(),
            RunNoise.unknown(),
            Provenance.unrecorded(),
            0);
    assertThat(longer.errorInterval()).isPresent();
    assertThat(longer.errorInterval().get().iterations()).isEqualTo(5);
  }
}
