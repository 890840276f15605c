package dev.pipeplan.simulator.schedule.check;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleIndex;
import dev.pipeplan.simulator.schedule.WorkLimits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Checks a schedule before anything runs it: indices in range, each stage's actions on the stage's
 * device, every (stage, micro-batch) with exactly one F and one backward (a B, or an I and a W),
 * and no deadlock, that is, the data dependencies of {@link ScheduleDependencies} together with
 * each device's order form an acyclic graph. A deadlock is reported as the cycle of devices that
 * wait on each other, each with the action it is stuck at and the action it waits for.
 */
public final class ScheduleValidator {
  /** The most problems listed one by one; the rest are counted. */
  static final int MAX_LISTED_PROBLEMS = 20;

  private ScheduleValidator() {}

  /**
   * Throws {@link BadInputException} listing the problems if {@link #problems(Schedule)} finds any.
   */
  public static void validate(Schedule schedule) {
    WorkLimits.check(schedule);
    List<String> problems = problems(schedule);
    if (!problems.isEmpty()) {
      throw new BadInputException(
          "schedule '" + schedule.name() + "' is invalid: " + String.join("; ", problems));
    }
  }

  /** The schedule's problems, in a fixed order; empty when it is valid. */
  public static List<String> problems(Schedule schedule) {
    Objects.requireNonNull(schedule, "schedule");
    List<String> problems = new ArrayList<>();
    int overflow = checkPlacementAndRanges(schedule, problems);
    ScheduleIndex index = ScheduleIndex.of(schedule);
    overflow += checkCounts(schedule, index, problems);
    if (problems.isEmpty()) {
      String deadlock = findDeadlock(schedule, index);
      if (deadlock != null) {
        problems.add(deadlock);
      }
    }
    if (overflow > 0) {
      problems.add("and " + overflow + " more problems");
    }
    return List.copyOf(problems);
  }

  private static boolean add(List<String> problems, String problem) {
    if (problems.size() < MAX_LISTED_PROBLEMS) {
      problems.add(problem);
      return false;
    }
    return true;
  }

  private static int checkPlacementAndRanges(Schedule schedule, List<String> problems) {
    int overflow = 0;
    int stages = schedule.stageCount();
    int microBatches = schedule.microBatchCount();
    for (int d = 0; d < schedule.deviceCount(); d++) {
      List<Action> actions = schedule.deviceActions().get(d);
      for (int k = 0; k < actions.size(); k++) {
        Action a = actions.get(k);
        String at = "device " + d + " step " + k + " (" + a + ")";
        if (a.stage() >= stages) {
          overflow +=
              add(problems, at + ": stage " + a.stage() + " is outside 0.." + (stages - 1)) ? 1 : 0;
        } else if (schedule.deviceOf(a.stage()) != d) {
          overflow +=
              add(
                      problems,
                      at
                          + ": stage "
                          + a.stage()
                          + " belongs to device "
                          + schedule.deviceOf(a.stage()))
                  ? 1
                  : 0;
        }
        if (a.microBatch() >= microBatches) {
          overflow +=
              add(
                      problems,
                      at
                          + ": micro-batch "
                          + a.microBatch()
                          + " is outside 0.."
                          + (microBatches - 1))
                  ? 1
                  : 0;
        }
      }
    }
    return overflow;
  }

  private static int checkCounts(Schedule schedule, ScheduleIndex index, List<String> problems) {
    int overflow = 0;
    for (int s = 0; s < schedule.stageCount(); s++) {
      for (int j = 0; j < schedule.microBatchCount(); j++) {
        int f = index.occurrences(Action.of(ActionType.F, s, j));
        int b = index.occurrences(Action.of(ActionType.B, s, j));
        int i = index.occurrences(Action.of(ActionType.I, s, j));
        int w = index.occurrences(Action.of(ActionType.W, s, j));
        String what = "stage " + s + " micro-batch " + j;
        String problem = null;
        if (f != 1) {
          problem = what + " has " + f + " F actions, expected 1";
        } else if (b == 1 && i == 0 && w == 0) {
          continue;
        } else if (b == 0 && i == 1 && w == 1) {
          continue;
        } else if (b + i + w == 0) {
          problem = what + " has no backward (expected one B, or one I and one W)";
        } else {
          problem =
              what
                  + " has "
                  + b
                  + " B, "
                  + i
                  + " I and "
                  + w
                  + " W actions; expected one B, or one I and one W";
        }
        overflow += add(problems, problem) ? 1 : 0;
      }
    }
    return overflow;
  }

  /**
   * Plays the schedule; returns null if every action runs, else the cycle of devices that wait on
   * each other.
   */
  private static String findDeadlock(Schedule schedule, ScheduleIndex index) {
    TokenGame game = TokenGame.play(schedule, index);
    if (game.finished()) {
      return null;
    }
    for (int d = 0; d < schedule.deviceCount(); d++) {
      if (game.next[d] < schedule.deviceActions().get(d).size()) {
        return describeCycle(schedule, game, d);
      }
    }
    throw new IllegalStateException("unfinished game without a waiting device");
  }

  private static String describeCycle(Schedule schedule, TokenGame game, int start) {
    int p = schedule.deviceCount();
    int[] seenAt = new int[p];
    Arrays.fill(seenAt, -1);
    List<String> steps = new ArrayList<>();
    int d = start;
    while (seenAt[d] < 0) {
      seenAt[d] = steps.size();
      Action stuck = schedule.deviceActions().get(d).get(game.next[d]);
      Action missing = actionOf(game.index, game.firstMissingKey(stuck));
      int owner = game.index.deviceOf(missing);
      steps.add(
          "device " + d + " waits at " + stuck + " for " + missing + " (device " + owner + ")");
      d = owner;
    }
    List<String> cycle = steps.subList(seenAt[d], steps.size());
    return "deadlock: " + String.join(", ", cycle);
  }

  private static Action actionOf(ScheduleIndex index, int key) {
    int perType = index.stageCount() * index.microBatchCount();
    ActionType type = ActionType.values()[key / perType];
    int rest = key % perType;
    return Action.of(type, rest / index.microBatchCount(), rest % index.microBatchCount());
  }
}
