package dev.pipeplan.simulator.schedule.check;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Counts activation sets in flight by walking each device's order: a forward adds one; the backward
 * that finishes a (stage, micro-batch), a B or (when the backward is split) its W, removes one.
 * This is the count the generators promise through {@link ScheduleKind#maxInFlight(ScheduleRequest,
 * int)}.
 */
public final class InFlight {
  private InFlight() {}

  /** The peak count on one device. */
  public static int peak(Schedule schedule, int device) {
    Objects.requireNonNull(schedule, "schedule");
    int current = 0;
    int peak = 0;
    for (Action a : schedule.deviceActions().get(device)) {
      if (a.type() == ActionType.F) {
        current++;
        peak = Math.max(peak, current);
      } else if (a.type() == ActionType.B || a.type() == ActionType.W) {
        current--;
      }
    }
    return peak;
  }

  /** The peak count of every device, by device. */
  public static List<Integer> peakPerDevice(Schedule schedule) {
    List<Integer> peaks = new ArrayList<>(schedule.deviceCount());
    for (int d = 0; d < schedule.deviceCount(); d++) {
      peaks.add(peak(schedule, d));
    }
    return List.copyOf(peaks);
  }
}
