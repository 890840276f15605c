package dev.pipeplan.planner.partition;

import dev.pipeplan.simulator.schedule.Partition;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The exact partition for a synchronous pipeline's closed-form makespan, the objective of AMP (Li
 * et al., "AMP: Automatically Finding Model Parallel Strategies with Heterogeneity Awareness",
 * NeurIPS 2022, §3.2): with m micro-batches, 1F1B and GPipe take about
 *
 * <pre>  (m - 1) * max_s t_s  +  sum_s t_s  +  sum over boundaries of the round trip across it
 * </pre>
 *
 * where t_s is stage s's time for one micro-batch (F + I + W). The first term is the steady state
 * on the slowest stage; the others are the path of the first micro-batch through every other stage
 * and link (fill and drain). Two partitions with the same bottleneck can differ in the rest: a
 * CNN's early boundaries carry activations a hundred times larger than its late ones.
 *
 * <p>Exact by a parametric DP. For a bound B, {@code sum[s][e] = min over a of sum[s-1][a] +
 * cut(s-1, a) + t(s, a, e)} over stages with t ≤ B that fit in memory, an O(stages · layers²) DP
 * (the scan over a stops at the first stage over B or over memory: both only grow as the stage
 * grows). The optimum P* has some bottleneck B' that is a stage time; the DP at B = B' finds a
 * partition whose sum is at most P*'s and whose bottleneck is at most B', so its objective is at
 * most P*'s. The bounds are tried in increasing order from the min-max bottleneck, and the scan
 * stops once {@code (m - 1) · B} plus the unconstrained smallest sum reaches the best objective
 * found: no partition with a larger bottleneck can beat it. With equal devices and free links that
 * is after the first bound. Ties go to the smaller bottleneck, then to the DP's first split.
 */
public final class MakespanPartitioner {
  private MakespanPartitioner() {}

  /** The closed-form makespan of a partition with {@code microBatches} micro-batches. */
  public static long objectiveNanos(
      PartitionProblem problem, Partition partition, int microBatches) {
    Objects.requireNonNull(problem, "problem");
    checkMicroBatches(microBatches);
    long steady =
        PartitionProblem.saturatedMultiply(problem.bottleneckNanos(partition), microBatches - 1L);
    long rest =
        PartitionProblem.saturatedAdd(
            problem.totalStageNanos(partition), problem.totalCutNanos(partition));
    return PartitionProblem.saturatedAdd(steady, rest);
  }

  /**
   * The partition with the smallest {@link #objectiveNanos} whose every stage fits its device, or
   * empty when none does.
   */
  public static Optional<Partition> solve(PartitionProblem problem, int microBatches) {
    Objects.requireNonNull(problem, "problem");
    checkMicroBatches(microBatches);
    return MinMaxPartitioner.solve(problem).map(p -> solve(problem, microBatches, p));
  }

  /**
   * As {@link #solve(PartitionProblem, int)}, given the problem's min-max partition (from {@link
   * MinMaxPartitioner#solve(PartitionProblem)}), so that a caller who has it does not solve it
   * twice.
   */
  public static Partition solve(PartitionProblem problem, int microBatches, Partition minMax) {
    Objects.requireNonNull(problem, "problem");
    Objects.requireNonNull(minMax, "minMax");
    checkMicroBatches(microBatches);
    long smallestBound = problem.bottleneckNanos(minMax);
    Partition best = minMax;
    long bestObjective = objectiveNanos(problem, best, microBatches);
    Partition unbounded = smallestSum(problem, Long.MAX_VALUE);
    long sumFloor = unbounded == null ? 0 : sumOf(problem, unbounded);
    if (microBatches == 1) {
      // the objective is the sum alone
      return unbounded != null && objectiveNanos(problem, unbounded, 1) < bestObjective
          ? unbounded
          : best;
    }
    // a bound B can only help while (m - 1) * B + sumFloor < bestObjective
    long span = bestObjective - sumFloor;
    long limit = span <= 0 ? smallestBound : Math.addExact(span / (microBatches - 1L), 1);
    for (long bound : stageTimesBetween(problem, smallestBound, limit)) {
      long floor =
          PartitionProblem.saturatedAdd(
              PartitionProblem.saturatedMultiply(bound, microBatches - 1L), sumFloor);
      if (floor >= bestObjective) {
        break;
      }
      Partition p = smallestSum(problem, bound);
      if (p == null) {
        continue;
      }
      long objective = objectiveNanos(problem, p, microBatches);
      if (objective < bestObjective) {
        bestObjective = objective;
        best = p;
      }
    }
    return best;
  }

  private static void checkMicroBatches(int microBatches) {
    if (microBatches < 1) {
      throw new IllegalArgumentException("micro-batch count must be >= 1, got " + microBatches);
    }
  }

  private static long sumOf(PartitionProblem problem, Partition p) {
    return PartitionProblem.saturatedAdd(problem.totalStageNanos(p), problem.totalCutNanos(p));
  }

  /**
   * Every distinct stage time in [{@code from}, {@code limit}], ascending (a superset of the
   * bottlenecks worth trying: memory is checked by the DP).
   */
  private static long[] stageTimesBetween(PartitionProblem problem, long from, long limit) {
    int n = problem.layerCount();
    // a stage's time depends on the stage only through its device's speed: one scan per speed
    double[] speedsSeen = new double[problem.deviceCount()];
    int speeds = 0;
    long[] values = new long[16];
    int count = 0;
    for (int s = 0; s < problem.stageCount(); s++) {
      double speed = problem.deviceSpeed(problem.deviceOf(s));
      boolean seen = false;
      for (int i = 0; i < speeds; i++) {
        seen |= speedsSeen[i] == speed;
      }
      if (seen) {
        continue;
      }
      speedsSeen[speeds++] = speed;
      for (int a = 0; a < n; a++) {
        for (int e = a + 1; e <= n; e++) {
          long t = problem.stageNanos(s, a, e);
          if (t > limit) {
            break;
          }
          if (t >= from) {
            if (count == values.length) {
              values = Arrays.copyOf(values, count * 2);
            }
            values[count++] = t;
          }
        }
      }
    }
    long[] sorted = Arrays.copyOf(values, count);
    Arrays.sort(sorted);
    int unique = 0;
    for (int i = 0; i < sorted.length; i++) {
      if (unique == 0 || sorted[i] != sorted[unique - 1]) {
        sorted[unique++] = sorted[i];
      }
    }
    return Arrays.copyOf(sorted, unique);
  }

  /**
   * The partition with the smallest sum of stage times and cut round trips among those whose stages
   * all take at most {@code bound} and fit; null when there is none.
   */
  static Partition smallestSum(PartitionProblem problem, long bound) {
    int n = problem.layerCount();
    int stages = problem.stageCount();
    long[][] best = new long[stages][n + 1];
    int[][] cut = new int[stages][n + 1];
    for (long[] row : best) {
      Arrays.fill(row, Long.MAX_VALUE);
    }
    for (int e = 1; e <= n - (stages - 1); e++) {
      long t = problem.stageNanos(0, 0, e);
      if (t <= bound && problem.stageFits(0, 0, e)) {
        best[0][e] = t;
      }
    }
    for (int s = 1; s < stages; s++) {
      for (int e = s + 1; e <= n - (stages - 1 - s); e++) {
        long bestValue = Long.MAX_VALUE;
        int bestCut = -1;
        // a descending: the stage [a, e) only grows, so the first one over the bound or over
        // memory ends the scan
        for (int a = e - 1; a >= s; a--) {
          long t = problem.stageNanos(s, a, e);
          if (t > bound || !problem.stageFits(s, a, e)) {
            break;
          }
          long before = best[s - 1][a];
          if (before == Long.MAX_VALUE) {
            continue;
          }
          long value =
              PartitionProblem.saturatedAdd(
                  PartitionProblem.saturatedAdd(before, problem.cutNanos(s - 1, a)), t);
          // <=: among equal sums the smallest a wins, the same split order the min-max DP uses
          if (value <= bestValue) {
            bestValue = value;
            bestCut = a;
          }
        }
        best[s][e] = bestValue;
        cut[s][e] = bestCut;
      }
    }
    if (best[stages - 1][n] == Long.MAX_VALUE) {
      return null;
    }
    return MinMaxPartitioner.counts(cut, stages, n);
  }
}
