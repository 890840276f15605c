package dev.pipeplan.simulator.timeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.cost.FixedStageCosts;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.engine.SimulationResult;
import dev.pipeplan.simulator.engine.Simulator;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimelineValidatorTest {
  private static final StageCosts COSTS = FixedStageCosts.parseUniform("2,1,1", 4);

  private static Schedule schedule() {
    return ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, 4, 8, 1));
  }

  private static SimulationResult simulated() {
    return Simulator.simulate(schedule(), COSTS);
  }

  private static Timeline with(Timeline t, List<TimedAction> actions) {
    return new Timeline(
        t.source(), t.scheduleName(), t.deviceCount(), actions, List.of(), List.of());
  }

  @Test
  void theSimulatorsTimelineIsARunOfItsSchedule() {
    assertThat(
            TimelineValidator.problems(
                schedule(),
                simulated().timeline(),
                TimelineValidator.Expectations.simulated(COSTS)))
        .isEmpty();
  }

  @Test
  void aMissingAnEarlyAndAMovedActionAreEachNamed() {
    Timeline t = simulated().timeline();
    List<TimedAction> actions = new ArrayList<>(t.actions());
    TimedAction removed = actions.remove(actions.size() - 1);
    assertThat(
            TimelineValidator.problems(
                schedule(), with(t, actions), TimelineValidator.Expectations.measured(0)))
        .anySatisfy(p -> assertThat(p).contains(removed.action().toString(), "missing"));

    // The last action of device 0 pulled back before its predecessor ends.
    actions = new ArrayList<>(t.actions());
    int last = -1;
    for (int i = 0; i < actions.size(); i++) {
      if (actions.get(i).device() == 0) {
        last = i;
      }
    }
    TimedAction a = actions.get(last);
    actions.set(
        last, new TimedAction(0, a.action(), a.startNanos() - 1_500_000, a.endNanos() - 1_500_000));
    List<String> early =
        TimelineValidator.problems(
            schedule(), with(t, actions), TimelineValidator.Expectations.measured(0));
    assertThat(early).isNotEmpty();
    assertThat(early).anySatisfy(p -> assertThat(p).contains(a.action().toString()));
    // A clock tolerance larger than the shift accepts the order checks but not a reordering.
    assertThat(
            TimelineValidator.problems(
                schedule(), with(t, actions), TimelineValidator.Expectations.measured(2_000_000)))
        .noneSatisfy(p -> assertThat(p).contains("before"));

    actions = new ArrayList<>(t.actions());
    TimedAction first = actions.get(0);
    actions.set(0, new TimedAction(1, first.action(), first.startNanos(), first.endNanos()));
    assertThat(
            TimelineValidator.problems(
                schedule(), with(t, actions), TimelineValidator.Expectations.measured(0)))
        .anySatisfy(p -> assertThat(p).contains("ran on device 1", "puts it on 0"));
  }

  @Test
  void aLateStartIsAProblemOnlyForASimulatedTimeline() {
    Timeline t = simulated().timeline();
    List<TimedAction> actions = new ArrayList<>(t.actions());
    // The action that ends last: nothing waits for it.
    int lastEnding = 0;
    for (int i = 0; i < actions.size(); i++) {
      if (actions.get(i).endNanos() > actions.get(lastEnding).endNanos()) {
        lastEnding = i;
      }
    }
    TimedAction a = actions.get(lastEnding);
    actions.set(
        lastEnding, new TimedAction(a.device(), a.action(), a.startNanos() + 7, a.endNanos() + 7));
    assertThat(
            TimelineValidator.problems(
                schedule(), with(t, actions), TimelineValidator.Expectations.simulated(COSTS)))
        .anySatisfy(p -> assertThat(p).contains("its device and inputs allow"));
    assertThat(
            TimelineValidator.problems(
                schedule(), with(t, actions), TimelineValidator.Expectations.measured(0)))
        .isEmpty();
  }
}
