package dev.pipeplan.simulator.timeline;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import java.util.List;
import java.util.Objects;

/**
 * One iteration of a pipeline, predicted by the simulator or measured by an executor.
 *
 * @param source "predicted" or "measured" (or the engine a measured trace came from)
 * @param scheduleName the schedule that ran
 * @param deviceCount pipeline devices
 * @param actions every action with its start and end, sorted by device then start
 * @param transfers communication between devices (empty where none was recorded)
 * @param memory memory level changes per device, sorted by device then time (empty where none was
 *     recorded)
 */
public record Timeline(
    String source,
    String scheduleName,
    int deviceCount,
    List<TimedAction> actions,
    List<Transfer> transfers,
    List<MemoryPoint> memory) {

  public static final String PREDICTED = "predicted";
  public static final String MEASURED = "measured";

  public Timeline {
    Checks.nonBlank("timeline source", source);
    Checks.nonBlank("timeline scheduleName", scheduleName);
    Checks.positive("timeline deviceCount", deviceCount);
    actions = List.copyOf(Objects.requireNonNull(actions, "actions"));
    for (TimedAction a : actions) {
      if (a.device() < 0 || a.device() >= deviceCount) {
        throw new BadInputException(
            "timeline action "
                + a.action()
                + " is on device "
                + a.device()
                + ", outside 0.."
                + (deviceCount - 1));
      }
    }
    transfers = List.copyOf(Objects.requireNonNull(transfers, "transfers"));
    memory = List.copyOf(Objects.requireNonNull(memory, "memory"));
  }

  /** Start of the first action to end of the last: the iteration time. */
  public long makespanNanos() {
    if (actions.isEmpty()) {
      return 0;
    }
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (TimedAction a : actions) {
      first = Math.min(first, a.startNanos());
      last = Math.max(last, a.endNanos());
    }
    return last - first;
  }
}
