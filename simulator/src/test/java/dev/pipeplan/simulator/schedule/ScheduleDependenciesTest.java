package dev.pipeplan.simulator.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScheduleDependenciesTest {
  @Test
  void forwardWaitsForThePreviousStagesForward() {
    assertThat(ScheduleDependencies.predecessors(Action.of(ActionType.F, 2, 5), 4, ActionType.B))
        .containsExactly(Action.of(ActionType.F, 1, 5));
    assertThat(ScheduleDependencies.predecessors(Action.of(ActionType.F, 0, 5), 4, ActionType.B))
        .isEmpty();
  }

  @Test
  void backwardWaitsForItsForwardAndTheNextStagesBackward() {
    assertThat(ScheduleDependencies.predecessors(Action.of(ActionType.I, 1, 3), 4, ActionType.I))
        .containsExactly(Action.of(ActionType.F, 1, 3), Action.of(ActionType.I, 2, 3));
    assertThat(ScheduleDependencies.predecessors(Action.of(ActionType.B, 1, 3), 4, ActionType.B))
        .containsExactly(Action.of(ActionType.F, 1, 3), Action.of(ActionType.B, 2, 3));
  }

  @Test
  void withoutATypeForTheNextStageABackwardWaitsForTheSameKind() {
    assertThat(ScheduleDependencies.predecessors(Action.of(ActionType.I, 0, 1), 2))
        .containsExactly(Action.of(ActionType.F, 0, 1), Action.of(ActionType.I, 1, 1));
    assertThat(ScheduleDependencies.predecessors(Action.of(ActionType.B, 0, 1), 2))
        .containsExactly(Action.of(ActionType.F, 0, 1), Action.of(ActionType.B, 1, 1));
  }

  @Test
  void lastStagesBackwardWaitsOnlyForItsForward() {
    assertThat(ScheduleDependencies.predecessors(Action.of(ActionType.B, 3, 0), 4, ActionType.I))
        .containsExactly(Action.of(ActionType.F, 3, 0));
  }

  @Test
  void weightGradientWaitsForItsInputGradient() {
    assertThat(ScheduleDependencies.predecessors(Action.of(ActionType.W, 2, 7), 4, ActionType.B))
        .containsExactly(Action.of(ActionType.I, 2, 7));
  }

  @Test
  void readsTheNextStagesBackwardTypeFromTheSchedule() {
    Schedule s =
        new Schedule(
            "mixed",
            2,
            1,
            List.of(0, 1),
            List.of(
                List.of(Action.of(ActionType.F, 0, 0), Action.of(ActionType.B, 0, 0)),
                List.of(
                    Action.of(ActionType.F, 1, 0),
                    Action.of(ActionType.I, 1, 0),
                    Action.of(ActionType.W, 1, 0))));
    assertThat(
            ScheduleDependencies.predecessors(Action.of(ActionType.B, 0, 0), ScheduleIndex.of(s)))
        .containsExactly(Action.of(ActionType.F, 0, 0), Action.of(ActionType.I, 1, 0));
  }
}
