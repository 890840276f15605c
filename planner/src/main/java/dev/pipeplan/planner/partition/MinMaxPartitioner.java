package dev.pipeplan.planner.partition;

import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The exact min-max partition by dynamic programming over prefix sums: split the layers into the
 * problem's global virtual stages, in order, none empty, so that the largest stage time is as small
 * as possible, subject to every stage fitting its device's memory with its schedule's in-flight
 * micro-batches.
 *
 * <p>What it optimises, exactly: {@code max over stages s of stageNanos(s, first_s, end_s)}, where
 * a stage's time uses its own device's speed. With one stage per device (v = 1) that is the
 * pipeline's bottleneck device time and the memory check is exact. With v > 1 chunks per device
 * (interleaved, V-shaped) it is the largest <em>chunk</em> time: a device's load, the sum of its v
 * chunks, is at most v times that, and the memory check is per chunk (a necessary condition: the
 * device's sum is checked afterwards with {@link PartitionProblem#fits}, and {@link MipPartitioner}
 * handles device sums exactly). Ties are broken towards the smallest first-stage boundary scanned
 * first, so the answer is deterministic. Cost: O(stages * layers^2) at worst; the scan over a
 * stage's first layer stops once the stage alone exceeds the best value found, so about O(layers^2)
 * when stages are balanced.
 */
public final class MinMaxPartitioner {
  private MinMaxPartitioner() {}

  /** The min-max partition, or empty when no partition fits in memory stage by stage. */
  public static Optional<Partition> solve(PartitionProblem problem) {
    Objects.requireNonNull(problem, "problem");
    int n = problem.layerCount();
    int stages = problem.stageCount();
    long[][] best = new long[stages][n + 1];
    int[][] cut = new int[stages][n + 1];
    for (int e = 1; e <= n - (stages - 1); e++) {
      best[0][e] = problem.stageFits(0, 0, e) ? problem.stageNanos(0, 0, e) : Long.MAX_VALUE;
    }
    for (int s = 1; s < stages; s++) {
      for (int e = s + 1; e <= n - (stages - 1 - s); e++) {
        long bestValue = Long.MAX_VALUE;
        int bestCut = -1;
        // a descending: the stage [a, e) only grows, in time and in memory, so once it takes more
        // than the best value so far (or no longer fits) no smaller a can match that value; '<='
        // keeps the smallest a among equal values, the same answer as the generic ascending scan
        for (int a = e - 1; a >= s; a--) {
          if (!problem.stageFits(s, a, e)) {
            break;
          }
          long here = problem.stageNanos(s, a, e);
          if (here > bestValue) {
            break;
          }
          long value = Math.max(best[s - 1][a], here);
          if (value <= bestValue && value != Long.MAX_VALUE) {
            bestValue = value;
            bestCut = a;
          }
        }
        best[s][e] = bestValue;
        cut[s][e] = bestCut;
      }
    }
    return best[stages - 1][n] == Long.MAX_VALUE
        ? Optional.empty()
        : Optional.of(counts(cut, stages, n));
  }

  /**
   * The partition a DP's cut table ends in: {@code cut[s][e]} is where stage s starts when it ends
   * at layer e.
   */
  static Partition counts(int[][] cut, int stages, int n) {
    int[] counts = new int[stages];
    int end = n;
    for (int s = stages - 1; s >= 1; s--) {
      int a = cut[s][end];
      counts[s] = end - a;
      end = a;
    }
    counts[0] = end;
    List<Integer> list = new ArrayList<>(stages);
    for (int c : counts) {
      list.add(c);
    }
    return new Partition(list);
  }

  /**
   * The partition that minimises the largest memory overshoot, {@code stage memory - device limit}:
   * when {@link #solve} finds nothing, this is the closest to fitting, for the error message. A
   * stage's memory grows with its layers, so the least overshoot is found by bisection on it, each
   * bound checked by a sweep over where each stage can end (O(stages · layers)); 64 sweeps replace
   * the general DP's O(stages · layers²), hours for 100,000 layers. The same optimum as {@link
   * #solve} with the overshoot as the cost (tested on random problems).
   */
  public static Partition leastOverMemory(PartitionProblem problem) {
    Objects.requireNonNull(problem, "problem");
    long lo = Long.MIN_VALUE;
    long hi = Long.MAX_VALUE;
    while (lo < hi) {
      long mid = (lo >> 1) + (hi >> 1) + (lo & hi & 1);
      if (within(problem, mid, null)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    int[][] from = new int[problem.stageCount()][problem.layerCount() + 1];
    if (!within(problem, hi, from)) {
      throw new IllegalStateException("no partition within " + hi);
    }
    int[] counts = new int[problem.stageCount()];
    int end = problem.layerCount();
    for (int s = problem.stageCount() - 1; s >= 0; s--) {
      counts[s] = end - from[s][end];
      end = from[s][end];
    }
    List<Integer> list = new ArrayList<>(counts.length);
    for (int c : counts) {
      list.add(c);
    }
    return new Partition(list);
  }

  /**
   * Whether some partition keeps every stage's overshoot within {@code bound}; with {@code from},
   * records for each stage and reachable end the start it came from. A stage starting at a can end
   * anywhere in [a + 1, far(a)], far non-decreasing in a, so an end e is reachable iff the latest
   * reachable start before e reaches it.
   */
  private static boolean within(PartitionProblem problem, long bound, int[][] from) {
    int n = problem.layerCount();
    int stages = problem.stageCount();
    boolean[] reach = new boolean[n + 1];
    reach[0] = true;
    for (int s = 0; s < stages; s++) {
      int lastEnd = n - (stages - 1 - s);
      boolean[] next = new boolean[n + 1];
      int latest = -1;
      int far = -1;
      int pointer = 0;
      for (int e = 1; e <= lastEnd; e++) {
        if (reach[e - 1]) {
          latest = e - 1;
          // the farthest end of a stage starting at latest; never behind the previous start's
          pointer = Math.max(pointer, latest);
          while (pointer < lastEnd && overshoot(problem, s, latest, pointer + 1) <= bound) {
            pointer++;
          }
          far = pointer;
        }
        if (latest >= 0 && far >= e) {
          next[e] = true;
          if (from != null) {
            from[s][e] = latest;
          }
        }
      }
      reach = next;
    }
    return reach[n];
  }

  private static long overshoot(PartitionProblem problem, int stage, int first, int end) {
    return problem.stageMemoryBytes(stage, first, end)
        - problem.deviceMemoryBytes(problem.deviceOf(stage));
  }

  /**
   * A stage's cost over layers [first, end); {@code Long.MAX_VALUE} marks a stage that is not
   * allowed.
   */
  @FunctionalInterface
  public interface StageCostFunction {
    long cost(int stage, int first, int end);
  }

  /** Min-max over any stage cost function; empty when every split has a forbidden stage. */
  public static Optional<Partition> solve(PartitionProblem problem, StageCostFunction costs) {
    int n = problem.layerCount();
    int stages = problem.stageCount();
    long[][] best = new long[stages][n + 1];
    int[][] cut = new int[stages][n + 1];
    for (int e = 1; e <= n - (stages - 1); e++) {
      best[0][e] = costs.cost(0, 0, e);
    }
    for (int s = 1; s < stages; s++) {
      // stage s covers [a, e): stages 0..s-1 need at least s layers, stages s+1.. need stages-1-s
      // layers
      for (int e = s + 1; e <= n - (stages - 1 - s); e++) {
        long bestValue = Long.MAX_VALUE;
        int bestCut = -1;
        for (int a = s; a < e; a++) {
          long before = best[s - 1][a];
          if (before >= bestValue) {
            continue;
          }
          long here = costs.cost(s, a, e);
          long value = Math.max(before, here);
          if (value < bestValue) {
            bestValue = value;
            bestCut = a;
          }
        }
        best[s][e] = bestValue;
        cut[s][e] = bestCut;
      }
    }
    return best[stages - 1][n] == Long.MAX_VALUE
        ? Optional.empty()
        : Optional.of(counts(cut, stages, n));
  }
}
