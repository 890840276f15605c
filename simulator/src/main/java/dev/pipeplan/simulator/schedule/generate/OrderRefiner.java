package dev.pipeplan.simulator.schedule.generate;

import java.util.Arrays;

/**
 * The improving half of the zero-bubble heuristic: a deterministic local search over device orders
 * that the paper leaves to its ILP. A move swaps two neighbouring actions of one device, or moves a
 * W up to {@link #WEIGHT_REACH} places earlier or later; it is kept when the exactly timed
 * iteration gets shorter, or stays equal while the devices' summed finishing times get shorter (so
 * the search can cross plateaus without cycling). It stops at once when the makespan meets {@link
 * SplitBackwardProblem#lowerBound()}. Moves keep each stage's F, I and W in micro-batch order, each
 * I after its F and each W after its I, and the in-flight caps; a move that deadlocks times as
 * {@link SplitBackwardProblem#DEADLOCK} and is dropped. The search stops after a pass without
 * improvement or when its work budget (timed actions) is spent, so its cost is bounded whatever the
 * size.
 */
final class OrderRefiner {
  static final int WEIGHT_REACH = 6;

  private final SplitBackwardProblem problem;
  private final long budgetActions;
  private long spent;
  private final long[] deviceEnds;
  private long bestMakespan;
  private long bestSum;

  OrderRefiner(SplitBackwardProblem problem, long budgetActions) {
    this.problem = problem;
    this.budgetActions = budgetActions;
    this.deviceEnds = new long[problem.deviceCount];
  }

  /** Improves {@code orders} in place and returns its makespan. */
  long refine(int[][] orders) {
    int actions = 0;
    for (int[] o : orders) {
      actions += o.length;
    }
    bestMakespan = problem.timed(orders, deviceEnds);
    bestSum = Arrays.stream(deviceEnds).sum();
    long bound = problem.lowerBound();
    boolean improved = bestMakespan > bound;
    while (improved && spent + actions <= budgetActions) {
      improved = false;
      for (int d = 0; d < problem.deviceCount; d++) {
        int[] order = orders[d];
        for (int k = 0; k + 1 < order.length; k++) {
          if (spent + actions > budgetActions) {
            return bestMakespan;
          }
          if (swappable(d, order, k) && tryMove(orders, d, k, k + 1, actions)) {
            improved = true;
            if (bestMakespan == bound) {
              return bestMakespan;
            }
          }
        }
        for (int k = 0; k < order.length; k++) {
          if (problem.typeOf(order[k]) != SplitBackwardProblem.W) {
            continue;
          }
          for (int to = Math.max(0, k - WEIGHT_REACH);
              to <= Math.min(order.length - 1, k + WEIGHT_REACH);
              to++) {
            if (Math.abs(to - k) < 2 || !relocatable(d, order, k, to)) {
              continue;
            }
            if (spent + actions > budgetActions) {
              return bestMakespan;
            }
            if (tryMove(orders, d, k, to, actions)) {
              improved = true;
              break;
            }
          }
        }
      }
    }
    return bestMakespan;
  }

  /** Moves the action at {@code from} to {@code to}; keeps it if better, else undoes it. */
  private boolean tryMove(int[][] orders, int d, int from, int to, int actions) {
    int[] order = orders[d];
    move(order, from, to);
    spent += actions;
    long makespan = problem.timed(orders, deviceEnds);
    if (makespan != SplitBackwardProblem.DEADLOCK) {
      long sum = Arrays.stream(deviceEnds).sum();
      if (makespan < bestMakespan || (makespan == bestMakespan && sum < bestSum)) {
        bestMakespan = makespan;
        bestSum = sum;
        return true;
      }
    }
    move(order, to, from);
    return false;
  }

  private static void move(int[] order, int from, int to) {
    int x = order[from];
    if (from < to) {
      System.arraycopy(order, from + 1, order, from, to - from);
    } else {
      System.arraycopy(order, to, order, to + 1, from - to);
    }
    order[to] = x;
  }

  /** Whether swapping positions k and k + 1 keeps the order rules and the cap. */
  private boolean swappable(int d, int[] order, int k) {
    int a = order[k];
    int b = order[k + 1];
    int ta = problem.typeOf(a);
    int tb = problem.typeOf(b);
    int sa = problem.stageOf(a);
    int sb = problem.stageOf(b);
    if (ta == tb && sa == sb) {
      return false;
    }
    if (sa == sb && problem.microBatchOf(a) == problem.microBatchOf(b)) {
      return false;
    }
    if (ta == SplitBackwardProblem.W && tb == SplitBackwardProblem.F) {
      return inFlightBefore(order, k) + 1 <= problem.capPerDevice[d];
    }
    return true;
  }

  /**
   * Whether moving the W at k to position {@code to} keeps W order per stage, the W after its I,
   * and the cap.
   */
  private boolean relocatable(int d, int[] order, int k, int to) {
    int w = order[k];
    int s = problem.stageOf(w);
    int j = problem.microBatchOf(w);
    if (to < k) {
      for (int x = to; x < k; x++) {
        int c = order[x];
        if (problem.stageOf(c) == s
            && (problem.typeOf(c) == SplitBackwardProblem.W
                || problem.microBatchOf(c) == j && problem.typeOf(c) == SplitBackwardProblem.I)) {
          return false;
        }
      }
      return true;
    }
    int level = inFlightBefore(order, k);
    for (int x = k + 1; x <= to; x++) {
      int c = order[x];
      int type = problem.typeOf(c);
      if (type == SplitBackwardProblem.W && problem.stageOf(c) == s) {
        return false;
      }
      if (type == SplitBackwardProblem.F) {
        level++;
        if (level > problem.capPerDevice[d]) {
          return false;
        }
      } else if (type == SplitBackwardProblem.W) {
        level--;
      }
    }
    return true;
  }

  private int inFlightBefore(int[] order, int k) {
    int level = 0;
    for (int x = 0; x < k; x++) {
      int type = problem.typeOf(order[x]);
      level += type == SplitBackwardProblem.F ? 1 : type == SplitBackwardProblem.W ? -1 : 0;
    }
    return level;
  }
}
