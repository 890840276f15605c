package dev.pipeplan.simulator.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs the zero-bubble heuristic on one problem: the list scheduler under every {@link
 * CostAwareListScheduler.Policy}, plus any reference orders the caller offers (the handcrafted
 * patterns that fit the caps), each timed exactly; the fastest (first on ties) then goes through
 * the {@link OrderRefiner}. This is the paper's post-validation step made exact: every candidate is
 * checked against the caps and timed with the costs the simulator will use, and a candidate that
 * breaks a cap or deadlocks is never chosen.
 */
final class CostAwareSearch {
  /**
   * Timed actions the refiner may spend (tens of milliseconds on one core): hundreds of passes over
   * small pipelines, about one over p = 16, m = 64.
   */
  static final long REFINE_BUDGET_ACTIONS = 8_000_000L;

  private CostAwareSearch() {}

  static int[][] best(SplitBackwardProblem problem, List<int[][]> references) {
    int[][] best = null;
    long bestMakespan = Long.MAX_VALUE;
    List<int[][]> built = new ArrayList<>();
    if (problem.stageCount == problem.deviceCount) {
      ZeroBubbleSweepScheduler sweep = new ZeroBubbleSweepScheduler(problem);
      for (ZeroBubbleSweepScheduler.Variant variant : ZeroBubbleSweepScheduler.Variant.all()) {
        built.add(sweep.build(variant));
      }
    }
    CostAwareListScheduler scheduler = new CostAwareListScheduler(problem);
    for (CostAwareListScheduler.Policy policy : CostAwareListScheduler.Policy.all()) {
      built.add(scheduler.build(policy));
    }
    for (int[][] orders : built) {
      long makespan = problem.makespan(orders);
      if (makespan < bestMakespan) {
        best = orders;
        bestMakespan = makespan;
      }
    }
    for (int[][] orders : references) {
      if (!problem.withinCaps(orders)) {
        continue;
      }
      long makespan = problem.makespan(orders);
      if (makespan < bestMakespan) {
        best = deepCopy(orders);
        bestMakespan = makespan;
      }
    }
    if (best == null) {
      throw new IllegalStateException("no candidate order");
    }
    new OrderRefiner(problem, REFINE_BUDGET_ACTIONS).refine(best);
    return best;
  }

  private static int[][] deepCopy(int[][] orders) {
    int[][] copy = new int[orders.length][];
    for (int d = 0; d < orders.length; d++) {
      copy[d] = orders[d].clone();
    }
    return copy;
  }
}
