package dev.pipeplan.simulator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.cost.FixedStageCosts;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import dev.pipeplan.simulator.timeline.Metrics;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.TimelineValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The engine on the schedule generators' output: the closed forms, and invariants over a seeded
 * sweep.
 */
class GeneratedSchedulesTest {
  private static final long MS = 1_000_000L;

  private static Metrics simulate(ScheduleKind kind, int p, int m, int v, String stageMs) {
    Schedule schedule = ScheduleGenerators.generate(ScheduleRequest.of(kind, p, m, v));
    return Simulator.metrics(
        schedule, FixedStageCosts.parseUniform(stageMs, schedule.stageCount()));
  }

  @Test
  void gpipeAndOneFOneBTake33MsWithBubble3Over11() {
    for (ScheduleKind kind : List.of(ScheduleKind.GPIPE, ScheduleKind.ONE_F_ONE_B)) {
      Metrics metrics = simulate(kind, 4, 8, 1, "1,2");

      assertThat(metrics.iterationNanos()).as(kind.id()).isEqualTo(33 * MS);
      assertThat(metrics.bubbleRatio()).as(kind.id()).isCloseTo(3.0 / 11.0, within(1e-12));
    }
  }

  @Test
  void interleavedWithTwoChunksTakes28AndAHalfMs() {
    assertThat(simulate(ScheduleKind.INTERLEAVED_1F1B, 4, 8, 2, "0.5,1").iterationNanos())
        .isEqualTo(28_500_000L);
  }

  @Test
  void zeroBubbleH1Takes3mPlusPMinus1() {
    assertThat(simulate(ScheduleKind.ZB_H1, 4, 8, 1, "1,1,1").iterationNanos())
        .isEqualTo((3 * 8 + 4 - 1) * MS);
  }

  @Test
  void inFlightMatchesTheTextbook() {
    assertThat(simulate(ScheduleKind.ONE_F_ONE_B, 4, 8, 1, "1,2").devices())
        .extracting(DeviceMetrics::peakInFlightMicroBatches)
        .containsExactly(4, 3, 2, 1);
    assertThat(simulate(ScheduleKind.GPIPE, 4, 8, 1, "1,2").devices())
        .extracting(DeviceMetrics::peakInFlightMicroBatches)
        .containsOnly(8);
  }

  @Test
  void inFlightAgreesWithWhatEachKindPromises() {
    for (ScheduleKind kind : ScheduleKind.values()) {
      ScheduleRequest request = ScheduleRequest.of(kind, 4, 8, kind.defaultVirtualStages());
      Metrics metrics =
          Simulator.metrics(
              ScheduleGenerators.generate(request),
              FixedStageCosts.parseUniform("1,1,1", 4 * kind.defaultVirtualStages()));
      for (DeviceMetrics d : metrics.devices()) {
        assertThat(d.peakInFlightMicroBatches())
            .as(kind.id() + " device " + d.device())
            .isLessThanOrEqualTo(ScheduleGenerators.maxInFlight(request, d.device()));
      }
    }
  }

  /**
   * Every kind over many (p, m, v) with random costs and link times: no device runs two actions at
   * once, every dependency (plus its transfer) ends before its dependant starts, busy time adds up,
   * and every device waits only when it must (each action starts at its device's or a dependency's
   * finish).
   */
  @Test
  void timelinesRespectDevicesAndDependenciesOverASeededSweep() {
    long seed = 20_240_601L;
    SplittableRandom random = new SplittableRandom(seed);
    int simulated = 0;
    for (int trial = 0; trial < 400; trial++) {
      ScheduleKind kind = ScheduleKind.values()[random.nextInt(ScheduleKind.values().length)];
      int p = 1 + random.nextInt(6);
      int m = 1 + random.nextInt(12);
      int v =
          kind.minVirtualStages()
              + random.nextInt(Math.min(3, kind.maxVirtualStages() - kind.minVirtualStages() + 1));
      Schedule schedule;
      try {
        schedule = ScheduleGenerators.generate(ScheduleRequest.of(kind, p, m, v));
      } catch (BadInputException outsideTheKindsConstraints) {
        continue;
      }
      List<StageCost> stages = new ArrayList<>();
      for (int s = 0; s < schedule.stageCount(); s++) {
        stages.add(
            new StageCost(
                1 + random.nextInt(1000),
                1 + random.nextInt(1000),
                random.nextInt(1000),
                random.nextInt(100),
                0,
                0,
                0));
      }
      long hop = random.nextInt(50);
      StageCosts costs = new StageCosts(stages, (from, to, bytes) -> hop + bytes);
      String where =
          "seed " + seed + " trial " + trial + ": " + kind.id() + " p=" + p + " m=" + m + " v=" + v;
      checkTimeline(schedule, costs, Simulator.simulate(schedule, costs), where);
      simulated++;
    }
    assertThat(simulated).isGreaterThan(100);
  }

  /**
   * Shuffled device orders either run or deadlock; the engine and the independent {@code
   * ScheduleValidator} must agree on which, and a deadlock message must name a waiting action.
   */
  @Test
  void engineAndValidatorAgreeOnDeadlocksOfShuffledOrders() {
    long seed = 77L;
    SplittableRandom random = new SplittableRandom(seed);
    int deadlocks = 0;
    int runs = 0;
    for (int trial = 0; trial < 300; trial++) {
      ScheduleKind kind = random.nextBoolean() ? ScheduleKind.ONE_F_ONE_B : ScheduleKind.ZB_H1;
      Schedule base = ScheduleGenerators.generate(ScheduleRequest.of(kind, 3, 3, 1));
      List<List<Action>> lists = new ArrayList<>();
      for (List<Action> list : base.deviceActions()) {
        List<Action> copy = new ArrayList<>(list);
        // Swap a few neighbours: small disturbances give both outcomes often.
        for (int swaps = random.nextInt(4); swaps > 0; swaps--) {
          int i = random.nextInt(copy.size() - 1);
          Action a = copy.get(i);
          copy.set(i, copy.get(i + 1));
          copy.set(i + 1, a);
        }
        lists.add(copy);
      }
      Schedule shuffled = new Schedule("shuffled", 3, 3, base.stageToDevice(), lists);
      boolean valid =
          dev.pipeplan.simulator.schedule.check.ScheduleValidator.problems(shuffled).isEmpty();
      String where = "seed " + seed + " trial " + trial + " " + shuffled.deviceActions();
      try {
        Simulator.metrics(shuffled, FixedStageCosts.parseUniform("1,1,1", 3));
        assertThat(valid).as(where + " ran, so the validator must accept it").isTrue();
        runs++;
      } catch (BadInputException e) {
        assertThat(valid).as(where + " deadlocked: " + e.getMessage()).isFalse();
        assertThat(e.getMessage()).as(where).contains("deadlocks", "waits at");
        deadlocks++;
      }
    }
    assertThat(deadlocks).isGreaterThan(20);
    assertThat(runs).isGreaterThan(20);
  }

  private static void checkTimeline(
      Schedule schedule, StageCosts costs, SimulationResult result, String where) {
    assertThat(
            TimelineValidator.problems(
                schedule, result.timeline(), TimelineValidator.Expectations.simulated(costs)))
        .as(where)
        .isEmpty();
    long busy = 0;
    for (TimedAction a : result.timeline().actions()) {
      busy += a.durationNanos();
    }
    long total = 0;
    for (DeviceMetrics d : result.metrics().devices()) {
      total += d.busyNanos();
    }
    assertThat(total).as(where).isEqualTo(busy);
    assertThat(result.metrics().iterationNanos())
        .as(where)
        .isEqualTo(result.timeline().makespanNanos());
  }
}
