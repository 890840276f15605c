package dev.pipeplan.planner.partition;

import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The partition search for placements with several chunks per device (interleaved 1F1B, looped BFS,
 * the V shapes): a deterministic local search over all p · v chunks at once, from the min-max chunk
 * split, that looks at what those schedules depend on and the chunk DP cannot see — each device's
 * <em>summed</em> load and memory. It minimises, in this order: the bytes by which the devices
 * exceed their memory (summed over devices; so it also finds fitting partitions where the DP's
 * per-chunk memory check passes but a device's sum does not, on problems too large for {@link
 * MipPartitioner}), the largest device load, and the largest chunk time. Moves are those of {@link
 * PartitionMoves}: boundaries moved by up to three layers, neighbouring boundaries moved together,
 * and the layer counts of two chunks swapped, on the same device or neighbouring. Each step takes
 * the first neighbour, in that fixed order, that improves the key (tried in place on an array of
 * counts, nothing allocated); at most {@code 4 · chunks} steps. A local optimum, not a proven one:
 * the MIP remains the exact answer for small problems, and the planner's simulator decides between
 * this partition and the DP's.
 */
public final class ChunkPartitioner {
  private ChunkPartitioner() {}

  /**
   * The local search's partition from the min-max chunk split (or, when no chunk split fits chunk
   * by chunk, from the one least over memory); empty when it ends over memory.
   */
  public static Optional<Partition> solve(PartitionProblem problem) {
    Objects.requireNonNull(problem, "problem");
    Partition start =
        MinMaxPartitioner.solve(problem)
            .orElseGet(() -> MinMaxPartitioner.leastOverMemory(problem));
    Partition best = improve(problem, start);
    return problem.fits(best) ? Optional.of(best) : Optional.empty();
  }

  /** The local search from {@code start}. */
  public static Partition improve(PartitionProblem problem, Partition start) {
    Objects.requireNonNull(problem, "problem");
    int stages = problem.stageCount();
    int[] counts = new int[stages];
    for (int s = 0; s < stages; s++) {
      counts[s] = start.layerCounts().get(s);
    }
    long[] load = new long[problem.deviceCount()];
    long[] memory = new long[problem.deviceCount()];
    long[] bestKey = key(problem, counts, load, memory);
    int maxSteps = 4 * stages;
    for (int step = 0; step < maxSteps; step++) {
      if (!firstImprovement(problem, counts, bestKey, load, memory)) {
        break;
      }
    }
    List<Integer> list = new ArrayList<>(stages);
    for (int c : counts) {
      list.add(c);
    }
    return new Partition(list);
  }

  /**
   * Applies the first move, in {@link PartitionMoves#neighbours}' order, that makes the key
   * smaller, updating {@code bestKey}; false when none does. Moves are tried in place and undone,
   * so a step allocates nothing.
   */
  private static boolean firstImprovement(
      PartitionProblem problem, int[] counts, long[] bestKey, long[] load, long[] memory) {
    int stages = counts.length;
    for (int k = 0; k + 1 < stages; k++) {
      for (int shift = 1; shift <= PartitionMoves.MAX_BOUNDARY_SHIFT; shift++) {
        if (tryMove(problem, counts, bestKey, load, memory, k, -shift, k + 1, shift)
            || tryMove(problem, counts, bestKey, load, memory, k, shift, k + 1, -shift)) {
          return true;
        }
      }
    }
    for (int k = 0; k + 2 < stages; k++) {
      if (tryMove(problem, counts, bestKey, load, memory, k, -1, k + 2, 1)
          || tryMove(problem, counts, bestKey, load, memory, k, 1, k + 2, -1)) {
        return true;
      }
    }
    for (int i = 0; i < stages; i++) {
      for (int j = i + 1; j < stages; j++) {
        boolean swappable = j == i + 1 || problem.deviceOf(i) == problem.deviceOf(j);
        if (swappable && counts[i] != counts[j]) {
          int delta = counts[j] - counts[i];
          if (tryMove(problem, counts, bestKey, load, memory, i, delta, j, -delta)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * Adds the deltas to two stages' counts; keeps the move if it improves the key, else undoes it.
   */
  private static boolean tryMove(
      PartitionProblem problem,
      int[] counts,
      long[] bestKey,
      long[] load,
      long[] memory,
      int a,
      int deltaA,
      int b,
      int deltaB) {
    if (counts[a] + deltaA < 1 || counts[b] + deltaB < 1) {
      return false;
    }
    counts[a] += deltaA;
    counts[b] += deltaB;
    long[] k = key(problem, counts, load, memory);
    if (less(k, bestKey)) {
      System.arraycopy(k, 0, bestKey, 0, k.length);
      return true;
    }
    counts[a] -= deltaA;
    counts[b] -= deltaB;
    return false;
  }

  /** (bytes over memory summed over devices, largest device load, largest chunk time). */
  static long[] key(PartitionProblem problem, Partition p) {
    int[] counts = new int[p.stageCount()];
    for (int s = 0; s < counts.length; s++) {
      counts[s] = p.layerCounts().get(s);
    }
    return key(problem, counts, new long[problem.deviceCount()], new long[problem.deviceCount()]);
  }

  private static long[] key(PartitionProblem problem, int[] counts, long[] load, long[] memory) {
    Arrays.fill(load, 0);
    Arrays.fill(memory, 0);
    long worstChunk = 0;
    int first = 0;
    for (int s = 0; s < counts.length; s++) {
      int end = first + counts[s];
      int d = problem.deviceOf(s);
      long t = problem.stageNanos(s, first, end);
      worstChunk = Math.max(worstChunk, t);
      load[d] += t;
      memory[d] = PartitionProblem.saturatedAdd(memory[d], problem.stageMemoryBytes(s, first, end));
      first = end;
    }
    long over = 0;
    long worstLoad = 0;
    for (int d = 0; d < load.length; d++) {
      over =
          PartitionProblem.saturatedAdd(
              over, Math.max(0, memory[d] - problem.deviceMemoryBytes(d)));
      worstLoad = Math.max(worstLoad, load[d]);
    }
    return new long[] {over, worstLoad, worstChunk};
  }

  private static boolean less(long[] a, long[] b) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] != b[i]) {
        return a[i] < b[i];
      }
    }
    return false;
  }
}
