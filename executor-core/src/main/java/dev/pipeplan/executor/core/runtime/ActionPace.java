package dev.pipeplan.executor.core.runtime;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which measured iterations ran at the run's own usual pace, judged by their actions alone: every
 * attempt runs the same actions on the same data, so an attempt whose actions took, in all, more
 * than the same actions' median over the attempts ran in a slow episode of the machine, even when
 * the {@link SpeedProbe} samples before and after it caught none (an episode of a few hundred
 * milliseconds inside an iteration of half a second). Waiting is not counted: only the actions' own
 * durations. The reference is the run itself, never the prediction.
 */
public final class ActionPace {
  private ActionPace() {}

  /**
   * For each attempt, its actions' total duration over the total of each action's median duration
   * across the attempts (the lower middle one), less 1; 0 when not longer. Actions missing from
   * some attempt are left out of every total.
   */
  public static List<Double> slowdowns(List<Timeline> attempts) {
    List<Double> result = new ArrayList<>(attempts.size());
    if (attempts.isEmpty()) {
      return result;
    }
    List<Map<Action, Long>> durations = new ArrayList<>(attempts.size());
    for (Timeline t : attempts) {
      Map<Action, Long> d = new HashMap<>();
      for (TimedAction a : t.actions()) {
        d.merge(a.action(), a.endNanos() - a.startNanos(), Long::sum);
      }
      durations.add(d);
    }
    List<Action> common = new ArrayList<>();
    for (Action a : durations.get(0).keySet()) {
      if (durations.stream().allMatch(d -> d.containsKey(a))) {
        common.add(a);
      }
    }
    common.sort(null); // a fixed order of summation: the same attempts give the same numbers
    double reference = 0;
    long[] values = new long[attempts.size()];
    for (Action a : common) {
      for (int i = 0; i < values.length; i++) {
        values[i] = durations.get(i).get(a);
      }
      Arrays.sort(values);
      reference += values[(values.length - 1) / 2];
    }
    for (Map<Action, Long> d : durations) {
      double total = 0;
      for (Action a : common) {
        total += d.get(a);
      }
      result.add(reference <= 0 ? 0 : Math.max(0, total / reference - 1));
    }
    return result;
  }
}
