package dev.pipeplan.executor.core.runtime;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Which measured iterations ran at the run's own usual pace, judged by their actions alone: every
 * attempt runs the same actions on the same data, so an attempt whose actions took, in all, more
 * than the same actions' median over the attempts ran in a slow episode of the machine, even when
 * the {@link SpeedProbe} samples before and after it caught none (an episode of a few hundred
 * milliseconds inside an iteration of half a second). Waiting is not counted: only the actions' own
 * durations. The reference is the run itself, never the prediction.
 *
 * <p>Attempts are added one at a time and judged after each, so each action keeps a running median
 * (two heaps): adding an attempt takes O(a log n) for a actions and n attempts, judging all of them
 * O(a + n), not a sort of every action over every attempt each time.
 */
public final class ActionPace {
  private final Map<Action, Integer> index = new HashMap<>();
  private final List<RunningMedian> medians = new ArrayList<>();
  private final List<Double> totals = new ArrayList<>();

  /**
   * Adds one attempt. The first fixes the actions judged; every later one must run them all (it may
   * not run others).
   *
   * @throws IllegalArgumentException when an attempt lacks an action the first one ran
   */
  public void add(Timeline attempt) {
    if (totals.isEmpty()) {
      for (TimedAction a : attempt.actions()) {
        if (index.putIfAbsent(a.action(), medians.size()) == null) {
          medians.add(new RunningMedian());
        }
      }
    }
    long[] durations = new long[medians.size()];
    boolean[] seen = new boolean[durations.length];
    for (TimedAction a : attempt.actions()) {
      Integer i = index.get(a.action());
      if (i != null) {
        durations[i] += a.endNanos() - a.startNanos();
        seen[i] = true;
      }
    }
    double total = 0;
    for (int i = 0; i < durations.length; i++) {
      if (!seen[i]) {
        throw new IllegalArgumentException(
            "attempt " + totals.size() + " did not run an action the first attempt ran");
      }
      medians.get(i).add(durations[i]);
      total += durations[i];
    }
    totals.add(total);
  }

  /**
   * For each attempt so far, its actions' total duration over the total of each action's median
   * duration across the attempts (the lower middle one), less 1; 0 when not longer.
   */
  public List<Double> slowdowns() {
    double reference = 0;
    for (RunningMedian m : medians) {
      reference += m.lowerMiddle();
    }
    List<Double> result = new ArrayList<>(totals.size());
    for (double total : totals) {
      result.add(reference <= 0 ? 0 : Math.max(0, total / reference - 1));
    }
    return result;
  }

  /** The lower middle of the values added so far: the largest of the lower half. */
  private static final class RunningMedian {
    private final PriorityQueue<Long> lower = new PriorityQueue<>(Collections.reverseOrder());
    private final PriorityQueue<Long> upper = new PriorityQueue<>();

    void add(long value) {
      if (lower.isEmpty() || value <= lower.peek()) {
        lower.add(value);
      } else {
        upper.add(value);
      }
      // the lower half holds the middle: as many as the upper half, or one more
      if (lower.size() > upper.size() + 1) {
        upper.add(lower.poll());
      } else if (upper.size() > lower.size()) {
        lower.add(upper.poll());
      }
    }

    long lowerMiddle() {
      return lower.isEmpty() ? 0 : lower.peek();
    }
  }
}
