package dev.pipeplan.simulator.schedule;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Where each action of a {@link Schedule} sits: its device and its position in that device's order,
 * found in constant time. Actions whose stage or micro-batch is out of range are not indexed (the
 * validator reports them); an action listed twice keeps its first place and counts its occurrences.
 */
public final class ScheduleIndex {
  private static final int TYPES = ActionType.values().length;

  private final int stageCount;
  private final int microBatchCount;
  private final int[] device;
  private final int[] position;
  private final int[] occurrences;

  private ScheduleIndex(Schedule schedule) {
    this.stageCount = schedule.stageCount();
    this.microBatchCount = schedule.microBatchCount();
    int size = TYPES * stageCount * microBatchCount;
    this.device = new int[size];
    this.position = new int[size];
    this.occurrences = new int[size];
    Arrays.fill(device, -1);
    List<List<Action>> lists = schedule.deviceActions();
    for (int d = 0; d < lists.size(); d++) {
      List<Action> actions = lists.get(d);
      for (int k = 0; k < actions.size(); k++) {
        Action a = actions.get(k);
        if (!inRange(a)) {
          continue;
        }
        int key = key(a);
        if (occurrences[key]++ == 0) {
          device[key] = d;
          position[key] = k;
        }
      }
    }
  }

  /** Indexes {@code schedule}. */
  public static ScheduleIndex of(Schedule schedule) {
    return new ScheduleIndex(Objects.requireNonNull(schedule, "schedule"));
  }

  public int stageCount() {
    return stageCount;
  }

  public int microBatchCount() {
    return microBatchCount;
  }

  /** Whether the action's stage and micro-batch are within the schedule's counts. */
  public boolean inRange(Action action) {
    return action.stage() < stageCount && action.microBatch() < microBatchCount;
  }

  /** A dense key in 0 .. 4*stages*microBatches-1 for an in-range action. */
  public int key(Action action) {
    return key(action.type(), action.stage(), action.microBatch());
  }

  /** The key of the in-range action (type, stage, microBatch), without building it. */
  public int key(ActionType type, int stage, int microBatch) {
    return (type.ordinal() * stageCount + stage) * microBatchCount + microBatch;
  }

  /** Whether the schedule lists the in-range action (type, stage, microBatch). */
  public boolean contains(ActionType type, int stage, int microBatch) {
    return occurrences[key(type, stage, microBatch)] > 0;
  }

  /** The number of keys, 4 * stages * micro-batches. */
  public int keyCount() {
    return device.length;
  }

  public boolean contains(Action action) {
    return inRange(action) && occurrences[key(action)] > 0;
  }

  /** How many times the schedule lists {@code action}. */
  public int occurrences(Action action) {
    return inRange(action) ? occurrences[key(action)] : 0;
  }

  /** The device that runs {@code action}, or -1 if the schedule does not list it. */
  public int deviceOf(Action action) {
    return inRange(action) ? device[key(action)] : -1;
  }

  /** The action's position in its device's order, or -1 if the schedule does not list it. */
  public int positionOf(Action action) {
    return contains(action) ? position[key(action)] : -1;
  }
}
