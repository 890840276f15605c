package dev.pipeplan.simulator.schedule.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.schedule.ActionCosts;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link WeightPull} on post-validated zero-bubble orders whose last stage is forward-heavy (as an
 * LM head is): it never lengthens the period, keeps the orders valid and within their caps, and
 * shortens the period of some of them below what the sweep and {@link OrderRefiner} reach.
 */
class WeightPullTest {
  static final long SEED = 7L;

  @Test
  void neverLengthensThePeriodKeepsTheOrdersValidAndShortensSome() {
    SplittableRandom random = new SplittableRandom(SEED);
    int shorter = 0;
    for (int draw = 0; draw < 200; draw++) {
      int p = 3 + random.nextInt(5);
      int m = 3 * p;
      SplitBackwardProblem problem = headHeavy(random, p, m);
      int[][] orders = sweepBest(problem);
      long refined = new OrderRefiner(problem, 200_000L).refine(orders);
      long pulled = new WeightPull(problem, 4_000_000L).pull(orders);
      String context = "seed " + SEED + " draw " + draw + " p=" + p;
      assertThat(pulled).as(context).isLessThanOrEqualTo(refined);
      assertThat(problem.makespan(orders)).as(context).isEqualTo(pulled);
      assertThat(problem.withinCaps(orders)).as(context).isTrue();
      assertValid(problem, orders, context);
      if (pulled < refined) {
        shorter++;
      }
    }
    // 11 of these 200 draws when written: the drains that wait for I's with W's left over.
    assertThat(shorter).isGreaterThanOrEqualTo(5);
  }

  @Test
  void sameOrdersOnEveryRun() {
    SplitBackwardProblem problem = headHeavy(new SplittableRandom(SEED + 1), 7, 21);
    int[][] first = sweepBest(problem);
    int[][] second = sweepBest(problem);
    new WeightPull(problem, 4_000_000L).pull(first);
    new WeightPull(problem, 4_000_000L).pull(second);
    assertThat(first).isDeepEqualTo(second);
  }

  @Test
  void aSpentBudgetLeavesTheOrdersAsTheyWere() {
    SplitBackwardProblem problem = headHeavy(new SplittableRandom(SEED), 6, 18);
    int[][] orders = sweepBest(problem);
    int[][] before = copy(orders);
    long makespan = problem.makespan(orders);
    assertThat(new WeightPull(problem, 0).pull(orders)).isEqualTo(makespan);
    assertThat(orders).isDeepEqualTo(before);
  }

  /** Every action once; per stage the F's, I's and W's in micro-batch order, each W after its I. */
  private static void assertValid(SplitBackwardProblem problem, int[][] orders, String context) {
    int stages = problem.stageCount;
    int m = problem.microBatchCount;
    for (int d = 0; d < orders.length; d++) {
      int[][] next = new int[3][stages];
      for (int code : orders[d]) {
        int type = problem.typeOf(code);
        int s = problem.stageOf(code);
        int j = problem.microBatchOf(code);
        assertThat(j).as(context + " device " + d + " order of " + code).isEqualTo(next[type][s]);
        if (type == SplitBackwardProblem.W) {
          assertThat(next[SplitBackwardProblem.I][s]).as(context + " W after I").isGreaterThan(j);
        }
        next[type][s]++;
      }
      for (int s : problem.stagesOfDevice[d]) {
        for (int type = 0; type < 3; type++) {
          assertThat(next[type][s]).as(context + " count").isEqualTo(m);
        }
      }
    }
  }

  /** Unequal stages around 1000 ns, the last one forward-heavy with a short W. */
  private static SplitBackwardProblem headHeavy(SplittableRandom random, int p, int m) {
    List<Long> f = new ArrayList<>();
    List<Long> i = new ArrayList<>();
    List<Long> w = new ArrayList<>();
    List<Long> forwardLinks = new ArrayList<>();
    List<Long> backwardLinks = new ArrayList<>();
    for (int s = 0; s < p; s++) {
      boolean head = s == p - 1;
      f.add(head ? 1400L + random.nextInt(200) : 900L + random.nextInt(200));
      i.add(head ? 800L + random.nextInt(200) : 1000L + random.nextInt(200));
      w.add(head ? 300L + random.nextInt(100) : 600L + random.nextInt(200));
      forwardLinks.add(s == 0 ? 0L : (long) random.nextInt(60));
      backwardLinks.add(s == p - 1 ? 0L : (long) random.nextInt(60));
    }
    int[] caps = new int[p];
    Arrays.fill(caps, m);
    return new SplitBackwardProblem(
        p,
        m,
        Schedule.loopedPlacement(p, 1),
        new ActionCosts(f, i, w, forwardLinks, backwardLinks),
        caps,
        true);
  }

  /** The fastest of the sweep's orders, as zb-auto's search starts. */
  private static int[][] sweepBest(SplitBackwardProblem problem) {
    ZeroBubbleSweepScheduler sweep = new ZeroBubbleSweepScheduler(problem);
    int[][] best = null;
    long bestMakespan = Long.MAX_VALUE;
    for (ZeroBubbleSweepScheduler.Variant variant : ZeroBubbleSweepScheduler.Variant.all()) {
      int[][] orders = sweep.build(variant);
      long makespan = problem.makespan(orders);
      if (makespan < bestMakespan) {
        best = orders;
        bestMakespan = makespan;
      }
    }
    return best;
  }

  private static int[][] copy(int[][] orders) {
    int[][] out = new int[orders.length][];
    for (int d = 0; d < orders.length; d++) {
      out[d] = orders[d].clone();
    }
    return out;
  }
}
