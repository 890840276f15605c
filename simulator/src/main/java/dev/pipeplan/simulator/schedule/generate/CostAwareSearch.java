package dev.pipeplan.simulator.schedule.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * Picks and improves an order for one problem: the candidates are the paper's sweep heuristic under
 * every {@link ZeroBubbleSweepScheduler.Variant} (one stage per device) and the reference orders
 * the caller offers (ZB-H1 and ZB-H2 for zb-auto, the repeated building block for the V kinds) that
 * fit the caps; the capped {@link CostAwareListScheduler} under every policy when none fits, and
 * under its plain policy on the V. Each is timed exactly, and the fastest (first on ties) goes
 * through the {@link OrderRefiner} and then {@link WeightPull}. This is the post-validation made
 * exact: every candidate is checked against the caps and timed with the costs the simulator will
 * use, and one that breaks a cap or deadlocks is never chosen.
 */
final class CostAwareSearch {
  /**
   * Timed actions zb-auto's refiner may spend (about 20 ms on one core): hundreds of passes over
   * small pipelines, part of one over p = 16, m = 64.
   */
  static final long ZB_REFINE_BUDGET_ACTIONS = 2_000_000L;

  /** {@link WeightPull}'s budget, in multiples of the refiner's. */
  static final long PULL_BUDGET_FACTOR = 20;

  /** The V kinds' refiner budget: their block is already close; the refiner trims its ends. */
  static final long V_REFINE_BUDGET_ACTIONS = 250_000L;

  /**
   * Up to this many actions the V kinds also try the plain list scheduler (it costs more there).
   */
  static final long SMALL_ACTIONS = 4_000L;

  private CostAwareSearch() {}

  static int[][] best(
      SplitBackwardProblem problem, List<int[][]> references, long refineBudgetActions) {
    int[][] best = null;
    long bestMakespan = Long.MAX_VALUE;
    List<int[][]> built = new ArrayList<>();
    if (problem.stageCount == problem.deviceCount) {
      ZeroBubbleSweepScheduler sweep = new ZeroBubbleSweepScheduler(problem);
      for (ZeroBubbleSweepScheduler.Variant variant : ZeroBubbleSweepScheduler.Variant.all()) {
        built.add(sweep.build(variant));
      }
    }
    for (int[][] orders : references) {
      if (problem.withinCaps(orders)) {
        built.add(orders);
      }
    }
    CostAwareListScheduler scheduler = new CostAwareListScheduler(problem);
    if (built.isEmpty()) {
      // No pattern fits the caps (a V block stretched past its cap by unequal costs): the capped
      // list scheduler always does.
      for (CostAwareListScheduler.Policy policy : CostAwareListScheduler.Policy.all()) {
        built.add(scheduler.build(policy));
      }
    } else if (problem.stageCount > problem.deviceCount
        && 3L * problem.stageCount * problem.microBatchCount <= SMALL_ACTIONS) {
      // On a small V its plain policy sometimes beats the block where memory is spare (p <= 4).
      built.add(scheduler.build(new CostAwareListScheduler.Policy(false, false, false)));
    }
    for (int[][] orders : built) {
      long makespan = problem.makespan(orders);
      if (makespan < bestMakespan) {
        best = deepCopy(orders);
        bestMakespan = makespan;
      }
    }
    if (best == null) {
      throw new IllegalStateException("no candidate order");
    }
    // Large pipelines get about 40 timings: the patterns are already close there, and the planner
    // generates many of them.
    long actions = 0;
    for (int[] order : best) {
      actions += order.length;
    }
    long budget = Math.min(refineBudgetActions, Math.max(200_000L, 40 * actions));
    new OrderRefiner(problem, budget).refine(best);
    new WeightPull(problem, PULL_BUDGET_FACTOR * budget).pull(best);
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
