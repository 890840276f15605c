package dev.pipeplan.simulator.schedule.generate;

import java.util.Arrays;

/**
 * The second improving pass of the zero-bubble search, after {@link OrderRefiner}: it pulls weight
 * gradients (W's) out of each device's tail (the W's after its last F or I) into the waits of its
 * drain. A zero-bubble order keeps a device's W's for the end when its F's and I's fill the steady
 * phase; in the drain it then waits for each I to come back from the next device and fills the wait
 * with one W, idling for the rest when a second W would overrun the I's arrival. Whether the
 * overrun pays depends on the whole pipeline (the delayed I reaches the devices before it, which
 * may have W's of their own to absorb it), so each candidate is timed exactly: the first tail W of
 * a device is moved before each of its F's and I's that started after an idle gap, back to the I of
 * its own micro-batch, the stage's W's are numbered again in micro-batch order (they take the same
 * time, so the timing is the move's), and the best move (makespan, then the devices' summed
 * finishing times, as the refiner ranks) is kept. {@link OrderRefiner}'s moves reach {@link
 * OrderRefiner#WEIGHT_REACH} places; these reach across the drain. Moving a W earlier frees its
 * activations earlier, so the in-flight caps hold. Deterministic: devices in order, gaps from the
 * latest back. Stops after a pass without improvement or when its work budget (timed actions) is
 * spent.
 */
final class WeightPull {
  private final SplitBackwardProblem problem;
  private final long budgetActions;
  private final long[] deviceEnds;
  private long spent;

  WeightPull(SplitBackwardProblem problem, long budgetActions) {
    this.problem = problem;
    this.budgetActions = budgetActions;
    this.deviceEnds = new long[problem.deviceCount];
  }

  /** Improves {@code orders} in place and returns its makespan. */
  long pull(int[][] orders) {
    int actions = 0;
    for (int[] order : orders) {
      actions += order.length;
    }
    long best = problem.timed(orders, deviceEnds);
    long bestSum = Arrays.stream(deviceEnds).sum();
    long bound = problem.lowerBound();
    boolean improved = best > bound;
    while (improved) {
      improved = false;
      for (int d = 0; d < problem.deviceCount; d++) {
        int[] order = orders[d];
        int from = firstTailWeight(order);
        if (from < 0) {
          continue;
        }
        // The gaps as the best order times them.
        problem.timed(orders, null);
        spent += actions;
        boolean[] afterGap = gaps(order, from);
        int weight = order[from];
        int bestTo = -1;
        for (int to = from - 1; to > 0; to--) {
          int code = order[to];
          if (problem.typeOf(code) == SplitBackwardProblem.I
              && problem.stageOf(code) == problem.stageOf(weight)
              && problem.microBatchOf(code) == problem.microBatchOf(weight)) {
            break;
          }
          if (!afterGap[to]) {
            continue;
          }
          if (spent + actions > budgetActions) {
            return finish(orders, d, from, bestTo, best);
          }
          orders[d] = pulled(order, from, to);
          spent += actions;
          long makespan = problem.timed(orders, deviceEnds);
          if (makespan != SplitBackwardProblem.DEADLOCK) {
            long total = Arrays.stream(deviceEnds).sum();
            if (makespan < best || (makespan == best && total < bestSum)) {
              best = makespan;
              bestSum = total;
              bestTo = to;
            }
          }
          orders[d] = order;
        }
        if (bestTo >= 0) {
          pullTo(order, from, bestTo);
          improved = true;
          if (best == bound) {
            return best;
          }
        }
      }
    }
    return best;
  }

  /** Applies the best move found before the budget ran out. */
  private long finish(int[][] orders, int d, int from, int bestTo, long best) {
    if (bestTo >= 0) {
      pullTo(orders[d], from, bestTo);
    }
    return best;
  }

  /** The index of the first W after the device's last F or I; -1 when it ends with no W's. */
  private int firstTailWeight(int[] order) {
    int k = order.length;
    while (k > 0 && problem.typeOf(order[k - 1]) == SplitBackwardProblem.W) {
      k--;
    }
    return k < order.length && k > 0 ? k : -1;
  }

  /** For each F or I before {@code limit}, whether the device idled just before it started. */
  private boolean[] gaps(int[] order, int limit) {
    boolean[] out = new boolean[limit];
    for (int k = 1; k < limit; k++) {
      int code = order[k];
      if (problem.typeOf(code) == SplitBackwardProblem.W) {
        continue;
      }
      long start = problem.lastEnd(code) - problem.duration(code);
      long previous = problem.lastEnd(order[k - 1]);
      out[k] = previous >= 0 && start > previous;
    }
    return out;
  }

  /**
   * The order with the W at {@code from} run at {@code to} (earlier) instead, and the stage's W's
   * numbered again in micro-batch order: a stage's W's all take the same time and each still
   * follows its I (the one placed at {@code to} takes the lowest number not yet run there, whose I
   * came before the moved W's own), so the timing is that of the plain move.
   */
  private int[] pulled(int[] order, int from, int to) {
    int[] out = order.clone();
    pullTo(out, from, to);
    return out;
  }

  private void pullTo(int[] order, int from, int to) {
    int weight = order[from];
    System.arraycopy(order, to, order, to + 1, from - to);
    order[to] = weight;
    int stage = problem.stageOf(weight);
    int next = 0;
    for (int k = 0; k < order.length; k++) {
      if (problem.typeOf(order[k]) == SplitBackwardProblem.W
          && problem.stageOf(order[k]) == stage) {
        order[k] = problem.code(SplitBackwardProblem.W, stage, next++);
      }
    }
  }
}
