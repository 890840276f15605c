package dev.pipeplan.simulator.schedule.check;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleIndex;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Plays a schedule with unit-length actions: each device runs its next action as soon as the data
 * predecessors of it are done. It finds deadlocks (the devices left waiting) and gives each action
 * the earliest unit step it can start in, the way PyTorch lays a schedule out in steps. Linear in
 * the number of actions.
 */
public final class TokenGame {
  final Schedule schedule;
  final ScheduleIndex index;

  /** For each device, how many of its actions ran. */
  final int[] next;

  /** Whether each action key ran. */
  final boolean[] done;

  /** The unit step each action key started in (valid where done). */
  private final int[] stepOfKey;

  /** The unit step each action (by its index key) starts in; -1 for one that never ran. */
  public int stepOf(int key) {
    return stepOfKey[key];
  }

  private TokenGame(Schedule schedule, ScheduleIndex index) {
    this.schedule = schedule;
    this.index = index;
    int p = schedule.deviceCount();
    this.next = new int[p];
    this.done = new boolean[index.keyCount()];
    this.stepOfKey = new int[index.keyCount()];
    int[] lastStep = new int[p];
    Arrays.fill(lastStep, -1);
    int[][] waiters = new int[index.keyCount()][];
    int[] predecessors = new int[2];
    Deque<Integer> ready = new ArrayDeque<>();
    for (int d = 0; d < p; d++) {
      ready.add(d);
    }
    while (!ready.isEmpty()) {
      int d = ready.poll();
      List<Action> actions = schedule.deviceActions().get(d);
      while (next[d] < actions.size()) {
        Action a = actions.get(next[d]);
        int count = predecessorKeys(a, index, predecessors);
        int step = lastStep[d] + 1;
        int missing = -1;
        for (int k = 0; k < count; k++) {
          int key = predecessors[k];
          if (!done[key]) {
            missing = key;
            break;
          }
          step = Math.max(step, stepOfKey[key] + 1);
        }
        if (missing >= 0) {
          waiters[missing] = append(waiters[missing], d);
          break;
        }
        int key = index.key(a);
        done[key] = true;
        stepOfKey[key] = step;
        lastStep[d] = step;
        next[d]++;
        if (waiters[key] != null) {
          for (int e : waiters[key]) {
            ready.add(e);
          }
          waiters[key] = null;
        }
      }
    }
  }

  /** Plays a schedule whose actions are all in range and listed once (check that first). */
  public static TokenGame play(Schedule schedule, ScheduleIndex index) {
    return new TokenGame(schedule, index);
  }

  /** Whether every action ran. */
  public boolean finished() {
    for (int d = 0; d < schedule.deviceCount(); d++) {
      if (next[d] < schedule.deviceActions().get(d).size()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Writes the keys of the data predecessors of {@code a} into {@code out}; returns how many (0 to
   * 2).
   */
  static int predecessorKeys(Action a, ScheduleIndex index, int[] out) {
    int s = a.stage();
    int j = a.microBatch();
    return switch (a.type()) {
      case F -> {
        if (s == 0) {
          yield 0;
        }
        out[0] = index.key(ActionType.F, s - 1, j);
        yield 1;
      }
      case I, B -> {
        out[0] = index.key(ActionType.F, s, j);
        if (s + 1 >= index.stageCount()) {
          yield 1;
        }
        ActionType next = index.contains(ActionType.I, s + 1, j) ? ActionType.I : ActionType.B;
        out[1] = index.key(next, s + 1, j);
        yield 2;
      }
      case W -> {
        out[0] = index.key(ActionType.I, s, j);
        yield 1;
      }
    };
  }

  /** The key of the first data predecessor of {@code a} that has not run, or -1. */
  int firstMissingKey(Action a) {
    int[] predecessors = new int[2];
    int count = predecessorKeys(a, index, predecessors);
    for (int k = 0; k < count; k++) {
      if (!done[predecessors[k]]) {
        return predecessors[k];
      }
    }
    return -1;
  }

  private static int[] append(int[] array, int value) {
    if (array == null) {
      return new int[] {value};
    }
    int[] bigger = Arrays.copyOf(array, array.length + 1);
    bigger[array.length] = value;
    return bigger;
  }
}
