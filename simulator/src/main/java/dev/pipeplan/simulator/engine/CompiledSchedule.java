package dev.pipeplan.simulator.engine;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.WorkLimits;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A schedule turned into flat int arrays once, so that the simulator's inner loop reads only
 * primitives. Actions are numbered device by device in each device's order (device d owns indices
 * {@code firstAction(d)} up to {@code firstAction(d + 1)}), and every action knows its at most two
 * data dependencies and at most two dependants. The structure depends only on the schedule, so a
 * caller that simulates one schedule under many costs (the planner) compiles it once. Instances are
 * immutable and safe to share between threads.
 */
public final class CompiledSchedule {
  static final int F = 0;
  static final int I = 1;
  static final int W = 2;
  static final int B = 3;
  static final int TYPES = 4;

  private final Schedule schedule;
  private final int deviceCount;
  private final int stageCount;
  private final int actionCount;
  private final int[] stageToDevice;

  /** Per device, index of its first action; one more entry holds the action count. */
  final int[] deviceFirst;

  /** Per action, its device. */
  final int[] deviceOf;

  /** Per action, stage * 4 + type: the index into the per-stage cost tables. */
  final int[] costKey;

  /**
   * Per action, its same-stage dependency (F for I/B, I for W) or -1. Always on the same device.
   */
  final int[] sameStageDep;

  /**
   * Per action, its cross-stage dependency (F of the previous stage, backward of the next stage) or
   * -1.
   */
  final int[] crossStageDep;

  /** Per action, the up to two actions that depend on it, -1 where there are fewer. */
  final int[] dependant0;

  final int[] dependant1;
  private final Action[] actions;

  private CompiledSchedule(Schedule schedule) {
    this.schedule = schedule;
    this.deviceCount = schedule.deviceCount();
    this.stageCount = schedule.stageCount();
    this.actionCount = schedule.actionCount();
    int m = schedule.microBatchCount();
    if (stageCount == 0) {
      throw new BadInputException("schedule '" + schedule.name() + "' has no stages");
    }
    if ((long) stageCount * m > Integer.MAX_VALUE / 2) {
      throw new BadInputException(
          "schedule '"
              + schedule.name()
              + "' has "
              + stageCount
              + " stages x "
              + m
              + " micro-batches; the simulator supports at most "
              + (Integer.MAX_VALUE / 2)
              + " pairs");
    }
    stageToDevice = new int[stageCount];
    for (int s = 0; s < stageCount; s++) {
      stageToDevice[s] = schedule.deviceOf(s);
    }
    deviceFirst = new int[deviceCount + 1];
    deviceOf = new int[actionCount];
    costKey = new int[actionCount];
    actions = new Action[actionCount];
    int[] forwardAt = filled(stageCount * m);
    int[] backwardAt = filled(stageCount * m);
    int[] weightAt = filled(stageCount * m);
    // Read each Action object once: generators may allocate them far from their list order, and a
    // second pass over
    // the objects would miss the cache again.
    int[] microBatchOf = new int[actionCount];
    int k = 0;
    for (int d = 0; d < deviceCount; d++) {
      deviceFirst[d] = k;
      for (Action a : schedule.deviceActions().get(d)) {
        int s = a.stage();
        int j = a.microBatch();
        if (s >= stageCount) {
          throw bad(
              "action "
                  + a
                  + " on device "
                  + d
                  + " names stage "
                  + s
                  + ", outside 0.."
                  + (stageCount - 1));
        }
        if (j >= m) {
          throw bad(
              "action "
                  + a
                  + " on device "
                  + d
                  + " names micro-batch "
                  + j
                  + ", outside 0.."
                  + (m - 1));
        }
        if (stageToDevice[s] != d) {
          throw bad(
              "action "
                  + a
                  + " is listed on device "
                  + d
                  + " but stage "
                  + s
                  + " belongs to device "
                  + stageToDevice[s]);
        }
        int slot = s * m + j;
        int[] table =
            a.type() == ActionType.F ? forwardAt : a.type() == ActionType.W ? weightAt : backwardAt;
        if (table[slot] >= 0) {
          throw bad("action " + a + " appears twice (or with both I and B) on device " + d);
        }
        table[slot] = k;
        deviceOf[k] = d;
        costKey[k] = s * TYPES + typeCode(a.type());
        microBatchOf[k] = j;
        actions[k] = a;
        k++;
      }
    }
    deviceFirst[deviceCount] = k;
    checkComplete(m, forwardAt, backwardAt, weightAt);

    sameStageDep = new int[actionCount];
    crossStageDep = new int[actionCount];
    dependant0 = filled(actionCount);
    dependant1 = filled(actionCount);
    for (int x = 0; x < actionCount; x++) {
      int s = costKey[x] / TYPES;
      int type = costKey[x] % TYPES;
      int j = microBatchOf[x];
      int same = -1;
      int cross = -1;
      if (type == F) {
        cross = s > 0 ? forwardAt[(s - 1) * m + j] : -1;
      } else if (type == W) {
        same = backwardAt[s * m + j];
      } else {
        same = forwardAt[s * m + j];
        cross = s + 1 < stageCount ? backwardAt[(s + 1) * m + j] : -1;
      }
      sameStageDep[x] = same;
      crossStageDep[x] = cross;
      addDependant(same, x);
      addDependant(cross, x);
    }
  }

  /** Compiles a schedule; rejects actions on the wrong device, duplicates and missing actions. */
  public static CompiledSchedule of(Schedule schedule) {
    WorkLimits.check(Objects.requireNonNull(schedule, "schedule"));
    return new CompiledSchedule(schedule);
  }

  public Schedule schedule() {
    return schedule;
  }

  public int deviceCount() {
    return deviceCount;
  }

  public int stageCount() {
    return stageCount;
  }

  public int actionCount() {
    return actionCount;
  }

  int deviceOfStage(int stage) {
    return stageToDevice[stage];
  }

  Action action(int index) {
    return actions[index];
  }

  static int typeCode(ActionType type) {
    return switch (type) {
      case F -> F;
      case I -> I;
      case W -> W;
      case B -> B;
    };
  }

  private void addDependant(int producer, int consumer) {
    if (producer < 0) {
      return;
    }
    if (dependant0[producer] < 0) {
      dependant0[producer] = consumer;
    } else if (dependant1[producer] < 0) {
      dependant1[producer] = consumer;
    } else {
      throw new IllegalStateException(
          "action " + actions[producer] + " has more than two dependants");
    }
  }

  private void checkComplete(int m, int[] forwardAt, int[] backwardAt, int[] weightAt) {
    for (int s = 0; s < stageCount; s++) {
      for (int j = 0; j < m; j++) {
        int slot = s * m + j;
        if (forwardAt[slot] < 0) {
          throw bad("stage " + s + " micro-batch " + j + " has no forward (" + s + "F" + j + ")");
        }
        if (backwardAt[slot] < 0) {
          throw bad(
              "stage "
                  + s
                  + " micro-batch "
                  + j
                  + " has no backward ("
                  + s
                  + "B"
                  + j
                  + " or "
                  + s
                  + "I"
                  + j
                  + ")");
        }
        boolean split = costKey[backwardAt[slot]] % TYPES == I;
        if (split && weightAt[slot] < 0) {
          throw bad(
              "stage "
                  + s
                  + " micro-batch "
                  + j
                  + " has "
                  + s
                  + "I"
                  + j
                  + " but no "
                  + s
                  + "W"
                  + j);
        }
        if (!split && weightAt[slot] >= 0) {
          throw bad(
              "stage "
                  + s
                  + " micro-batch "
                  + j
                  + " has a fused "
                  + s
                  + "B"
                  + j
                  + " and also "
                  + s
                  + "W"
                  + j);
        }
      }
    }
  }

  private BadInputException bad(String message) {
    return new BadInputException("schedule '" + schedule.name() + "': " + message);
  }

  private static int[] filled(int size) {
    int[] a = new int[size];
    Arrays.fill(a, -1);
    return a;
  }

  /** The actions of one device in order, for messages. */
  List<Action> deviceActions(int device) {
    return schedule.deviceActions().get(device);
  }
}
