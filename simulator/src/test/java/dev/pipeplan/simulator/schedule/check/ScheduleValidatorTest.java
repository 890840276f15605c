package dev.pipeplan.simulator.schedule.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScheduleValidatorTest {
  /** Parses a cell such as "1B0": stage digits, one type letter, micro-batch digits. */
  static Action a(String text) {
    int k = 0;
    while (Character.isDigit(text.charAt(k))) {
      k++;
    }
    return Action.of(
        ActionType.valueOf(text.substring(k, k + 1)),
        Integer.parseInt(text.substring(0, k)),
        Integer.parseInt(text.substring(k + 1)));
  }

  static List<Action> actions(String... cells) {
    List<Action> list = new ArrayList<>();
    for (String cell : cells) {
      list.add(a(cell));
    }
    return list;
  }

  static Schedule twoDevices(List<Action> device0, List<Action> device1, int microBatches) {
    return new Schedule("test", 2, microBatches, List.of(0, 1), List.of(device0, device1));
  }

  @Test
  void acceptsAValidTwoStageSchedule() {
    Schedule s = twoDevices(actions("0F0", "0B0"), actions("1F0", "1B0"), 1);
    assertThat(ScheduleValidator.problems(s)).isEmpty();
  }

  @Test
  void reportsTheDeadlockCycleNamingTheWaitingActions() {
    Schedule s = twoDevices(actions("0B0", "0F0"), actions("1F0", "1B0"), 1);
    assertThat(ScheduleValidator.problems(s))
        .containsExactly("deadlock: device 0 waits at 0B0 for 0F0 (device 0)");
  }

  @Test
  void reportsACrossDeviceDeadlock() {
    Schedule s =
        twoDevices(actions("0F0", "0B0", "0F1", "0B1"), actions("1F1", "1B1", "1F0", "1B0"), 2);
    assertThat(ScheduleValidator.problems(s))
        .containsExactly(
            "deadlock: device 0 waits at 0B0 for 1B0 (device 1), "
                + "device 1 waits at 1F1 for 0F1 (device 0)");
  }

  @Test
  void reportsMissingAndDuplicatedActions() {
    Schedule s = twoDevices(actions("0F0", "0F0", "0B0"), actions("1F0", "1I0"), 1);
    assertThat(ScheduleValidator.problems(s))
        .containsExactly(
            "stage 0 micro-batch 0 has 2 F actions, expected 1",
            "stage 1 micro-batch 0 has 0 B, 1 I and 0 W actions; expected one B, or one I and one W");
  }

  @Test
  void reportsAnActionOnTheWrongDevice() {
    Schedule s = twoDevices(actions("0F0", "1F0", "0B0"), actions("1B0"), 1);
    assertThat(ScheduleValidator.problems(s))
        .containsExactly("device 0 step 1 (1F0): stage 1 belongs to device 1");
  }

  @Test
  void reportsIndicesOutOfRange() {
    Schedule s =
        new Schedule("test", 1, 1, List.of(0), List.of(actions("0F0", "0B0", "0F3", "2F0")));
    assertThat(ScheduleValidator.problems(s))
        .containsExactly(
            "device 0 step 2 (0F3): micro-batch 3 is outside 0..0",
            "device 0 step 3 (2F0): stage 2 is outside 0..0");
  }

  @Test
  void acceptsMixedFusedAndSplitBackwards() {
    Schedule s = twoDevices(actions("0F0", "0B0"), actions("1F0", "1I0", "1W0"), 1);
    assertThat(ScheduleValidator.problems(s)).isEmpty();
  }

  @Test
  void weightGradientBeforeItsInputGradientDeadlocks() {
    Schedule s = new Schedule("test", 1, 1, List.of(0), List.of(actions("0F0", "0W0", "0I0")));
    assertThat(ScheduleValidator.problems(s))
        .containsExactly("deadlock: device 0 waits at 0W0 for 0I0 (device 0)");
  }

  @Test
  void validateThrowsBadInputListingTheProblems() {
    Schedule s = twoDevices(actions("0B0", "0F0"), actions("1F0", "1B0"), 1);
    assertThatThrownBy(() -> ScheduleValidator.validate(s))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "schedule 'test' is invalid: deadlock: device 0 waits at 0B0 for 0F0 (device 0)");
  }

  @Test
  void capsTheListedProblems() {
    List<Action> many = new ArrayList<>();
    for (int j = 0; j < 30; j++) {
      many.add(Action.of(ActionType.F, 0, j));
    }
    Schedule s = new Schedule("test", 1, 30, List.of(0), List.of(many));
    List<String> problems = ScheduleValidator.problems(s);
    assertThat(problems).hasSize(ScheduleValidator.MAX_LISTED_PROBLEMS + 1);
    assertThat(problems.get(problems.size() - 1)).isEqualTo("and 10 more problems");
  }
}
