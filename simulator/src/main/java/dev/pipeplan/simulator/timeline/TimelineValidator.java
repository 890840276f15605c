package dev.pipeplan.simulator.timeline;

import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleDependencies;
import dev.pipeplan.simulator.schedule.ScheduleIndex;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks that a timeline is a run of a schedule: simulated, measured by an executor or imported
 * from another engine's trace. A timeline of a schedule
 *
 * <ul>
 *   <li>holds every action of the schedule once, on the device the schedule puts it on, and no
 *       other;
 *   <li>runs each device's actions in the schedule's order, one at a time;
 *   <li>starts each action after the actions it depends on ({@link ScheduleDependencies}) have
 *       ended, plus, when the costs are known, the link's transfer time between devices;
 *   <li>and, for a simulated timeline, starts each action as soon as that allows.
 * </ul>
 *
 * <p>A measured timeline's clocks are read on different threads or processes, so the checks allow a
 * tolerance.
 */
public final class TimelineValidator {
  /** Problems listed before the rest is counted. */
  static final int MAX_LISTED = 20;

  private TimelineValidator() {}

  /**
   * What to hold a timeline to.
   *
   * @param toleranceNanos how much earlier than allowed an action may start (clock skew between
   *     measuring threads or processes); 0 for a simulated timeline
   * @param costs the stage costs whose transfer times a dependency across devices adds; empty when
   *     unknown (a measured timeline's transfers are whatever they were)
   * @param asSoonAsPossible also require each action to start exactly when its device and its
   *     dependencies allow (a simulated timeline); needs the costs
   */
  public record Expectations(
      long toleranceNanos, Optional<StageCosts> costs, boolean asSoonAsPossible) {
    public Expectations {
      if (toleranceNanos < 0) {
        throw new IllegalArgumentException("toleranceNanos must be >= 0, got " + toleranceNanos);
      }
      Objects.requireNonNull(costs, "costs");
      if (asSoonAsPossible && costs.isEmpty()) {
        throw new IllegalArgumentException("as-soon-as-possible checks need the stage costs");
      }
    }

    /** A simulated timeline: exact, with the costs it was simulated with. */
    public static Expectations simulated(StageCosts costs) {
      return new Expectations(0, Optional.of(costs), true);
    }

    /** A measured or imported timeline: order and dependencies, within a clock tolerance. */
    public static Expectations measured(long toleranceNanos) {
      return new Expectations(toleranceNanos, Optional.empty(), false);
    }
  }

  /** The problems found, in a fixed order; empty when the timeline is a run of the schedule. */
  public static List<String> problems(Schedule schedule, Timeline timeline, Expectations expect) {
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(timeline, "timeline");
    Objects.requireNonNull(expect, "expect");
    List<String> problems = new ArrayList<>();
    if (timeline.deviceCount() != schedule.deviceCount()) {
      problems.add(
          "the timeline has "
              + timeline.deviceCount()
              + " devices, the schedule "
              + schedule.deviceCount());
      return problems;
    }
    Map<Action, TimedAction> byAction = new HashMap<>();
    List<List<TimedAction>> perDevice = new ArrayList<>();
    for (int d = 0; d < schedule.deviceCount(); d++) {
      perDevice.add(new ArrayList<>());
    }
    ScheduleIndex index = ScheduleIndex.of(schedule);
    for (TimedAction a : timeline.actions()) {
      if (!index.inRange(a.action()) || !index.contains(a.action())) {
        problems.add(a.action() + " is not an action of the schedule");
        continue;
      }
      if (byAction.put(a.action(), a) != null) {
        problems.add(a.action() + " appears twice");
        continue;
      }
      int expected = schedule.deviceOf(a.action().stage());
      if (a.device() != expected) {
        problems.add(
            a.action() + " ran on device " + a.device() + ", the schedule puts it on " + expected);
        continue;
      }
      perDevice.get(a.device()).add(a);
    }
    for (int d = 0; d < schedule.deviceCount(); d++) {
      List<Action> order = schedule.deviceActions().get(d);
      List<TimedAction> ran = perDevice.get(d);
      ran.sort(
          (x, y) ->
              x.startNanos() != y.startNanos()
                  ? Long.compare(x.startNanos(), y.startNanos())
                  : Long.compare(x.endNanos(), y.endNanos()));
      for (Action a : order) {
        if (!byAction.containsKey(a)) {
          problems.add(a + " of device " + d + " is missing");
        }
      }
      int position = 0;
      for (int i = 0; i < ran.size(); i++) {
        Action a = ran.get(i).action();
        while (position < order.size() && !byAction.containsKey(order.get(position))) {
          position++;
        }
        if (position < order.size() && !order.get(position).equals(a)) {
          problems.add(
              "device " + d + " ran " + a + " where the schedule has " + order.get(position));
          break;
        }
        position++;
        if (i > 0
            && ran.get(i).startNanos() + expect.toleranceNanos() < ran.get(i - 1).endNanos()) {
          problems.add(
              "device "
                  + d
                  + " starts "
                  + a
                  + " at "
                  + ran.get(i).startNanos()
                  + " ns, before "
                  + ran.get(i - 1).action()
                  + " ends at "
                  + ran.get(i - 1).endNanos()
                  + " ns");
        }
      }
    }
    for (int d = 0; d < schedule.deviceCount(); d++) {
      List<TimedAction> ran = perDevice.get(d);
      for (int i = 0; i < ran.size(); i++) {
        TimedAction a = ran.get(i);
        long earliest = i == 0 ? 0 : ran.get(i - 1).endNanos();
        for (Action dep : ScheduleDependencies.predecessors(a.action(), index)) {
          TimedAction before = byAction.get(dep);
          if (before == null) {
            continue; // reported as missing
          }
          long ready = before.endNanos() + transferNanos(expect, before, a);
          earliest = Math.max(earliest, ready);
          if (a.startNanos() + expect.toleranceNanos() < ready) {
            problems.add(
                a.action()
                    + " starts at "
                    + a.startNanos()
                    + " ns, before "
                    + dep
                    + " it depends on is ready at "
                    + ready
                    + " ns");
          }
        }
        if (expect.asSoonAsPossible() && a.startNanos() != earliest) {
          problems.add(
              a.action()
                  + " starts at "
                  + a.startNanos()
                  + " ns; its device and inputs allow "
                  + earliest
                  + " ns");
        }
      }
    }
    if (problems.size() > MAX_LISTED) {
      int more = problems.size() - MAX_LISTED;
      problems = new ArrayList<>(problems.subList(0, MAX_LISTED));
      problems.add("... and " + more + " more");
    }
    return List.copyOf(problems);
  }

  private static long transferNanos(Expectations expect, TimedAction from, TimedAction to) {
    if (expect.costs().isEmpty() || from.device() == to.device()) {
      return 0;
    }
    StageCosts costs = expect.costs().get();
    int s = to.action().stage();
    long bytes =
        to.action().type() == ActionType.F
            ? costs.stage(s - 1).outputBytes()
            : costs.stage(s).outputBytes();
    return costs.links().transferNanos(from.device(), to.device(), bytes);
  }
}
