package dev.pipeplan.simulator.timeline;

import dev.pipeplan.simulator.schedule.Action;
import java.util.Objects;

/**
 * One action as it ran (or is predicted to run) on a device.
 *
 * @param device the pipeline device
 * @param action the action
 * @param startNanos start, from the iteration's start
 * @param endNanos end, at least the start
 */
public record TimedAction(int device, Action action, long startNanos, long endNanos) {
  public TimedAction {
    Objects.requireNonNull(action, "action");
    if (device < 0) {
      throw new IllegalArgumentException("device must be >= 0, got " + device);
    }
    if (endNanos < startNanos) {
      throw new IllegalArgumentException(
          "action " + action + " ends (" + endNanos + ") before it starts (" + startNanos + ")");
    }
  }

  public long durationNanos() {
    return endNanos - startNanos;
  }
}
