package dev.pipeplan.planner.partition;

import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The local-search neighbourhood of a partition, shared by the chunk partitioner and the planner's
 * simulator-driven refinement. The order is fixed, so a search that takes the first best neighbour
 * is deterministic.
 */
public final class PartitionMoves {
  /** How far one boundary moves at most in one step, in layers. */
  public static final int MAX_BOUNDARY_SHIFT = 3;

  private PartitionMoves() {}

  /**
   * The neighbours of {@code p}, never emptying a stage, without repeats, in this order: each
   * boundary moved by 1 to {@value #MAX_BOUNDARY_SHIFT} layers either way; two neighbouring
   * boundaries moved together by one layer (a stage slides, its neighbours trade a layer through
   * it); the layer counts of two neighbouring stages swapped; and, with several stages per device
   * (interleaved, V-shaped), the layer counts of two stages of the same device swapped, which moves
   * every boundary between them at once.
   *
   * @param stageDevice the device of each stage (its length is the stage count)
   */
  public static List<Partition> neighbours(Partition p, int[] stageDevice) {
    Objects.requireNonNull(p, "p");
    List<Integer> counts = p.layerCounts();
    int stages = counts.size();
    if (stageDevice.length != stages) {
      throw new IllegalArgumentException(
          "stageDevice has " + stageDevice.length + " entries for " + stages + " stages");
    }
    Set<Partition> out = new LinkedHashSet<>();
    for (int k = 0; k + 1 < stages; k++) {
      for (int shift = 1; shift <= MAX_BOUNDARY_SHIFT; shift++) {
        addMoved(out, counts, k, -shift, k + 1, shift);
        addMoved(out, counts, k, shift, k + 1, -shift);
      }
    }
    for (int k = 0; k + 2 < stages; k++) {
      addMoved(out, counts, k, -1, k + 2, 1);
      addMoved(out, counts, k, 1, k + 2, -1);
    }
    for (int i = 0; i < stages; i++) {
      for (int j = i + 1; j < stages; j++) {
        boolean swappable = j == i + 1 || stageDevice[i] == stageDevice[j];
        if (swappable && !counts.get(i).equals(counts.get(j))) {
          List<Integer> swapped = new ArrayList<>(counts);
          swapped.set(i, counts.get(j));
          swapped.set(j, counts.get(i));
          out.add(new Partition(swapped));
        }
      }
    }
    out.remove(p);
    return new ArrayList<>(out);
  }

  private static void addMoved(
      Set<Partition> out, List<Integer> counts, int a, int deltaA, int b, int deltaB) {
    int left = counts.get(a) + deltaA;
    int right = counts.get(b) + deltaB;
    if (left < 1 || right < 1) {
      return;
    }
    List<Integer> moved = new ArrayList<>(counts);
    moved.set(a, left);
    moved.set(b, right);
    out.add(new Partition(moved));
  }
}
