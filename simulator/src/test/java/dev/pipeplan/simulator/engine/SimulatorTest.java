package dev.pipeplan.simulator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.cost.LinkModel;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import dev.pipeplan.simulator.timeline.MemoryPoint;
import dev.pipeplan.simulator.timeline.Metrics;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Transfer;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatorTest {
  private static final long MS = 1_000_000L;

  private static StageCosts uniform(
      int stages, long forwardNanos, long inputNanos, long weightNanos) {
    return StageCosts.uniform(stages, StageCost.ofTimes(forwardNanos, inputNanos, weightNanos));
  }

  @Test
  void costsThatCouldOverflowTheClockAreRefusedNotWrappedAround() {
    // 8 micro-batches of 3 actions of 2^60 ns on each of 4 devices: far past 2^62 in all
    long huge = 1L << 60;
    assertThatThrownBy(
            () -> Simulator.metrics(HandSchedules.gpipe(4, 8), uniform(4, huge, huge, huge)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("over 8 micro-batches")
        .hasMessageContaining("limit of 2^62 ns")
        .hasMessageContaining("too large to simulate");
    // a day per action simulates
    long day = 86_400_000_000_000L;
    assertThat(
            Simulator.metrics(HandSchedules.gpipe(4, 8), uniform(4, day, day, day))
                .iterationNanos())
        .isPositive();
  }

  @Test
  void gpipeIterationTimeMatchesClosedForm() {
    Metrics metrics = Simulator.metrics(HandSchedules.gpipe(4, 8), uniform(4, MS, MS, MS));

    assertThat(metrics.iterationNanos()).isEqualTo((8 + 4 - 1) * 3 * MS);
    assertThat(metrics.bubbleRatio()).isCloseTo(3.0 / 11.0, within(1e-12));
  }

  @Test
  void oneFOneBIterationTimeMatchesClosedForm() {
    Metrics metrics = Simulator.metrics(HandSchedules.oneFOneB(4, 8), uniform(4, MS, MS, MS));

    assertThat(metrics.iterationNanos()).isEqualTo(33 * MS);
    assertThat(metrics.bubbleRatio()).isCloseTo(3.0 / 11.0, within(1e-12));
    assertThat(metrics.devices()).extracting(DeviceMetrics::busyNanos).containsOnly(24 * MS);
  }

  @Test
  void interleavedIterationTimeMatchesClosedForm() {
    // Per chunk F = 0.5 ms, B = 1 ms: m(F+B) per device plus a bubble of (p-1)(F+B)/v.
    Metrics metrics =
        Simulator.metrics(HandSchedules.interleaved(4, 8, 2), uniform(8, MS / 2, MS / 2, MS / 2));

    assertThat(metrics.iterationNanos()).isEqualTo(28_500_000L);
    assertThat(metrics.bubbleRatio()).isCloseTo(1.0 - 24.0 / 28.5, within(1e-12));
  }

  @Test
  void oneFOneBKeepsPMinusRMicroBatchesInFlightOnRankR() {
    Metrics metrics = Simulator.metrics(HandSchedules.oneFOneB(4, 8), uniform(4, MS, MS, MS));

    assertThat(metrics.devices())
        .extracting(DeviceMetrics::peakInFlightMicroBatches)
        .containsExactly(4, 3, 2, 1);
  }

  @Test
  void gpipeKeepsEveryMicroBatchInFlight() {
    Metrics metrics = Simulator.metrics(HandSchedules.gpipe(4, 8), uniform(4, MS, MS, MS));

    assertThat(metrics.devices())
        .extracting(DeviceMetrics::peakInFlightMicroBatches)
        .containsOnly(8);
  }

  @Test
  void crossDeviceDependenciesPayTheLinkTimeBothWays() {
    // Two stages on two devices, one micro-batch; every transfer of 1000 bytes takes 250 us.
    StageCost stage = new StageCost(MS, MS, MS, 1000, 0, 0, 0);
    LinkModel links = (from, to, bytes) -> bytes == 1000 ? 250_000L : -1L;
    Schedule schedule = HandSchedules.parse("pair", 1, List.of(0, 1), "0F0 0B0", "1F0 1B0");

    SimulationResult result =
        Simulator.simulate(schedule, new StageCosts(List.of(stage, stage), links));

    // 0F0 [0,1], send, 1F0 [1.25,2.25], 1B0 [2.25,4.25], send back, 0B0 [4.5,6.5].
    assertThat(result.metrics().iterationNanos()).isEqualTo(6_500_000L);
    assertThat(result.timeline().actions())
        .extracting(TimedAction::startNanos)
        .containsExactly(0L, 4_500_000L, 1_250_000L, 2_250_000L);
    assertThat(result.timeline().transfers())
        .containsExactly(
            new Transfer(1, 0, act("1B0"), act("0B0"), 1000, 4_250_000L, 4_500_000L),
            new Transfer(0, 1, act("0F0"), act("1F0"), 1000, 1_000_000L, 1_250_000L));
  }

  @Test
  void aBlockingSendHoldsItsDeviceUntilTheTransferEnds() {
    // Two micro-batches, GPipe order on two devices; every transfer takes 250 us. Beside the
    // compute, device 0 runs 0F1 right after 0F0; with blocking sends it waits for 0F0's send.
    StageCost stage = new StageCost(MS, MS, MS, 1000, 0, 0, 0);
    LinkModel links = (from, to, bytes) -> 250_000L;
    Schedule schedule =
        HandSchedules.parse("pair", 2, List.of(0, 1), "0F0 0F1 0B0 0B1", "1F0 1F1 1B0 1B1");

    SimulationResult beside =
        Simulator.simulate(schedule, new StageCosts(List.of(stage, stage), links, false));
    SimulationResult blocking =
        Simulator.simulate(schedule, new StageCosts(List.of(stage, stage), links, true));

    assertThat(startOf(beside, "0F1")).isEqualTo(1_000_000L);
    assertThat(startOf(blocking, "0F1")).isEqualTo(1_250_000L);
    // 1F1 waits for 0F1 [1.25, 2.25] and its send: [2.5, 3.5]; 1B0 sends back too, so 1B1 starts
    // at 3.5 + 2 + 0.25.
    assertThat(startOf(blocking, "1F1")).isEqualTo(2_500_000L);
    assertThat(startOf(blocking, "1B1")).isEqualTo(5_750_000L);
    assertThat(blocking.metrics().iterationNanos())
        .isGreaterThan(beside.metrics().iterationNanos());
  }

  private static long startOf(SimulationResult result, String action) {
    return result.timeline().actions().stream()
        .filter(a -> a.action().equals(act(action)))
        .findFirst()
        .orElseThrow()
        .startNanos();
  }

  @Test
  void stagesOnOneDeviceTalkForFree() {
    // A V placement: stages 1 and 2 share device 1, so the hop between them is free.
    StageCost stage = new StageCost(MS, MS, 0, 1000, 0, 0, 0);
    LinkModel links = (from, to, bytes) -> 500_000L;
    Schedule schedule =
        HandSchedules.parse("v", 1, List.of(0, 1, 1, 0), "0F0 3F0 3B0 0B0", "1F0 2F0 2B0 1B0");

    Metrics metrics =
        Simulator.metrics(schedule, new StageCosts(List.of(stage, stage, stage, stage), links));

    // Four F, four B of 1 ms each in a chain; hops 0->1, 2->3, 3->2 (back), 1->0 (back) cross
    // devices.
    assertThat(metrics.iterationNanos()).isEqualTo(8 * MS + 4 * 500_000L);
  }

  @Test
  void aScatteredHandOffIsGatheredOnTheReceivingDeviceOnlyBetweenDevices() {
    // The V placement above, each hand-off's shares gathered in 100 us by its receivers: the
    // four hops between devices add a gather to the receiving action (1F0, 3F0, 2B0, 0B0), the
    // hops inside device 1 (1->2 and back) none.
    long gather = 100_000L;
    StageCost stage = new StageCost(MS, MS, 0, 1000, 0, 0, 0).withHandOffGatherNanos(gather);
    LinkModel links = (from, to, bytes) -> 500_000L;
    Schedule schedule =
        HandSchedules.parse("v", 1, List.of(0, 1, 1, 0), "0F0 3F0 3B0 0B0", "1F0 2F0 2B0 1B0");

    SimulationResult result =
        Simulator.simulate(schedule, new StageCosts(List.of(stage, stage, stage, stage), links));

    assertThat(result.metrics().iterationNanos()).isEqualTo(8 * MS + 4 * 500_000L + 4 * gather);
    assertThat(durationOf(result, "1F0")).isEqualTo(MS + gather);
    assertThat(durationOf(result, "2F0")).isEqualTo(MS);
    assertThat(durationOf(result, "3F0")).isEqualTo(MS + gather);
    assertThat(durationOf(result, "3B0")).isEqualTo(MS);
    assertThat(durationOf(result, "2B0")).isEqualTo(MS + gather);
    assertThat(durationOf(result, "1B0")).isEqualTo(MS);
    assertThat(durationOf(result, "0B0")).isEqualTo(MS + gather);
    // the link carries the shares for as long as before: the gather is the receiver's work
    assertThat(result.timeline().transfers())
        .allSatisfy(t -> assertThat(t.endNanos() - t.startNanos()).isEqualTo(500_000L));
  }

  @Test
  void aBlockingSendHoldsItsSenderForTheTransferNotTheReceiversGather() {
    long gather = 100_000L;
    StageCost stage = new StageCost(MS, MS, MS, 1000, 0, 0, 0).withHandOffGatherNanos(gather);
    LinkModel links = (from, to, bytes) -> 250_000L;
    Schedule schedule =
        HandSchedules.parse("pair", 2, List.of(0, 1), "0F0 0F1 0B0 0B1", "1F0 1F1 1B0 1B1");

    SimulationResult blocking =
        Simulator.simulate(schedule, new StageCosts(List.of(stage, stage), links, true));

    // device 0 waits 250 us for 0F0's send, not the 100 us device 1 then spends gathering
    assertThat(startOf(blocking, "0F1")).isEqualTo(1_250_000L);
    // 1F0 runs [1.25, 2.35] with its gather; 1F1 waits for 0F1 [1.25, 2.25] and its transfer
    assertThat(startOf(blocking, "1F0")).isEqualTo(1_250_000L);
    assertThat(durationOf(blocking, "1F0")).isEqualTo(MS + gather);
    assertThat(startOf(blocking, "1F1")).isEqualTo(2_500_000L);
    assertThat(durationOf(blocking, "1F1")).isEqualTo(MS + gather);
  }

  private static long durationOf(SimulationResult result, String action) {
    TimedAction a =
        result.timeline().actions().stream()
            .filter(x -> x.action().equals(act(action)))
            .findFirst()
            .orElseThrow();
    return a.endNanos() - a.startNanos();
  }

  @Test
  void memoryIsStaticPlusRunningSumOfDeltas() {
    // activation 100 bytes, I frees 40, W the other 60; static 1000 per stage.
    StageCost stage = new StageCost(MS, MS, MS, 0, 100, 40, 1000);
    Schedule schedule =
        HandSchedules.parse(
            "split", 2, List.of(0, 0), "0F0 1F0 0F1 1F1 1I0 0I0 1W0 1I1 0W0 1W1 0I1 0W1");

    SimulationResult result =
        Simulator.simulate(schedule, new StageCosts(List.of(stage, stage), LinkModel.free()));

    DeviceMetrics device = result.metrics().devices().get(0);
    assertThat(device.peakMemoryBytes()).isEqualTo(2000 + 400);
    assertThat(device.peakInFlightMicroBatches()).isEqualTo(4);
    assertThat(result.timeline().memory())
        .extracting(MemoryPoint::bytes)
        .containsExactly(
            2100L, 2200L, 2300L, 2400L, 2360L, 2320L, 2260L, 2220L, 2160L, 2100L, 2060L, 2000L);
    assertThat(result.timeline().memory())
        .extracting(MemoryPoint::timeNanos)
        .containsExactly(
            0L, MS, 2 * MS, 3 * MS, 5 * MS, 6 * MS, 7 * MS, 8 * MS, 9 * MS, 10 * MS, 11 * MS,
            12 * MS);
  }

  @Test
  void fusedBackwardFreesAllActivations() {
    StageCost stage = new StageCost(MS, MS, MS, 0, 100, 40, 7);
    Schedule schedule = HandSchedules.parse("one", 1, List.of(0), "0F0 0B0");

    SimulationResult result =
        Simulator.simulate(schedule, new StageCosts(List.of(stage), LinkModel.free()));

    assertThat(result.timeline().memory())
        .containsExactly(new MemoryPoint(0, 0, 107), new MemoryPoint(0, 3 * MS, 7));
    assertThat(result.metrics().iterationNanos()).isEqualTo(3 * MS);
  }

  @Test
  void reportsTheActionsOfADeadlock() {
    Schedule schedule =
        HandSchedules.parse("crossed", 2, List.of(0, 1), "0F0 0B0 0F1 0B1", "1F1 1B1 1F0 1B0");

    assertThatThrownBy(() -> Simulator.metrics(schedule, uniform(2, MS, MS, 0)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("deadlocks")
        .hasMessageContaining("device 0 waits at 0B0 for 1B0 (device 1)")
        .hasMessageContaining("device 1 waits at 1F1 for 0F1 (device 0)");
  }

  @Test
  void reportsABackwardListedBeforeItsForward() {
    Schedule schedule = HandSchedules.parse("backwards", 1, List.of(0), "0B0 0F0");

    assertThatThrownBy(() -> Simulator.metrics(schedule, uniform(1, MS, MS, 0)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("device 0 waits at 0B0 for 0F0 (device 0, later in its own list)");
  }

  @Test
  void rejectsCostsForAnotherStageCount() {
    assertThatThrownBy(() -> Simulator.metrics(HandSchedules.oneFOneB(4, 8), uniform(3, MS, MS, 0)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("3 stages")
        .hasMessageContaining("has 4");
  }

  @Test
  void rejectsAMissingBackward() {
    Schedule schedule = HandSchedules.parse("short", 2, List.of(0), "0F0 0F1 0B0");

    assertThatThrownBy(() -> Simulator.metrics(schedule, uniform(1, MS, MS, 0)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("micro-batch 1 has no backward");
  }

  @Test
  void rejectsAnActionOnTheWrongDevice() {
    Schedule schedule = HandSchedules.parse("misplaced", 1, List.of(0, 1), "0F0 1F0 0B0", "1B0");

    assertThatThrownBy(() -> Simulator.metrics(schedule, uniform(2, MS, MS, 0)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("1F0 is listed on device 0 but stage 1 belongs to device 1");
  }

  @Test
  void fastMetricsEqualTheFullSimulation() {
    Schedule schedule = HandSchedules.interleaved(4, 12, 3);
    StageCost stage = new StageCost(700, 900, 400, 64, 1000, 300, 50);
    StageCosts costs =
        new StageCosts(
            java.util.Collections.nCopies(12, stage), (from, to, bytes) -> 10 + from + to);

    SimulationResult full = Simulator.simulate(schedule, costs);

    assertThat(Simulator.metrics(schedule, costs)).isEqualTo(full.metrics());
    assertThat(Simulator.iterationNanos(CompiledSchedule.of(schedule), costs))
        .isEqualTo(full.metrics().iterationNanos())
        .isEqualTo(full.timeline().makespanNanos());
  }

  @Test
  void reusedWorkingArraysDoNotLeakBetweenSimulations() {
    Schedule small = HandSchedules.oneFOneB(3, 4);
    StageCosts smallCosts =
        new StageCosts(
            java.util.Collections.nCopies(3, new StageCost(5, 7, 3, 1, 0, 0, 0)),
            (from, to, bytes) -> 2);
    SimulationResult before = Simulator.simulate(small, smallCosts);

    Simulator.metrics(HandSchedules.gpipe(8, 64), uniform(8, 1_000_000, 3, 3));
    Simulator.metrics(HandSchedules.interleaved(4, 8, 2), uniform(8, 1, 1_000, 1));

    assertThat(Simulator.simulate(small, smallCosts)).isEqualTo(before);
  }

  @Test
  void sameInputGivesTheSameResult() {
    Schedule schedule = HandSchedules.oneFOneB(8, 32);
    StageCosts costs =
        new StageCosts(
            java.util.Collections.nCopies(8, new StageCost(10, 20, 5, 8, 16, 4, 2)),
            (from, to, bytes) -> 3 + bytes);

    assertThat(Simulator.simulate(schedule, costs)).isEqualTo(Simulator.simulate(schedule, costs));
  }

  @Test
  void noDeviceRunsTwoActionsAtOnceAndDependenciesHold() {
    Schedule schedule = HandSchedules.interleaved(4, 8, 2);
    StageCosts costs =
        new StageCosts(
            java.util.Collections.nCopies(8, new StageCost(300, 500, 200, 10, 0, 0, 0)),
            (from, to, bytes) -> 70);

    List<TimedAction> actions = Simulator.simulate(schedule, costs).timeline().actions();

    for (int i = 1; i < actions.size(); i++) {
      if (actions.get(i).device() == actions.get(i - 1).device()) {
        assertThat(actions.get(i).startNanos())
            .isGreaterThanOrEqualTo(actions.get(i - 1).endNanos());
      }
    }
    for (TimedAction a : actions) {
      if (a.action().type() == dev.pipeplan.simulator.schedule.ActionType.F
          && a.action().stage() > 0) {
        TimedAction before = find(actions, a.action().stage() - 1, a.action().microBatch(), "F");
        assertThat(a.startNanos()).isGreaterThanOrEqualTo(before.endNanos() + 70);
      }
    }
  }

  private static TimedAction find(
      List<TimedAction> actions, int stage, int microBatch, String type) {
    for (TimedAction a : actions) {
      if (a.action().stage() == stage
          && a.action().microBatch() == microBatch
          && a.action().type().name().equals(type)) {
        return a;
      }
    }
    throw new AssertionError("no " + stage + type + microBatch);
  }

  private static dev.pipeplan.simulator.schedule.Action act(String cell) {
    return HandSchedules.parse("x", 1, List.of(0), cell).deviceActions().get(0).get(0);
  }
}
