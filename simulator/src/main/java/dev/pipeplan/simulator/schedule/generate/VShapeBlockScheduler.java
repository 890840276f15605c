package dev.pipeplan.simulator.schedule.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Building-block schedules for the V placement, after Qi et al., "Pipeline Parallelism with
 * Controllable Memory" (NeurIPS 2024): lay out one micro-batch's passes (its building block),
 * repeat the block every {@code interval} without two passes of one device overlapping, then order
 * each device's passes by their repeated start times (the simulator's list scheduling does the
 * paper's "squeezing"). A block's lifespan on a device, from its first F to its last W there, fixes
 * the device's peak activation memory at about lifespan / interval micro-batches.
 *
 * <p>The block is built by modulo scheduling: the interval is the busiest device's work per
 * micro-batch (every device's F, I and W with the real costs; 6 units on every device when T_F =
 * T_B = T_W), each device keeps a reservation ring of that length, and each pass goes at the
 * earliest time after its inputs arrive (plus {@code slack} for F's, which stretches the block and
 * with it the lifespan) whose slot on the ring is free. Passes are placed critical chain first (the
 * F's down and back up the V, then the I's), then each W at the first free slot after its I: the
 * tightest block, so the least memory, is V-Min's; {@link VShapeMemoryGenerator} relaxes the memory
 * for V-Half by letting the refiner reorder warm-up and cool-down within the larger cap. With
 * unequal costs the same construction is the paper's memory-aware generalisation: the ring's length
 * and the passes' lengths are the real ones.
 */
final class VShapeBlockScheduler {
  private final SplitBackwardProblem pr;

  VShapeBlockScheduler(SplitBackwardProblem problem) {
    this.pr = problem;
  }

  /** The busiest device's work per micro-batch: the block's repeat interval. */
  long interval() {
    long[] load = new long[pr.deviceCount];
    for (int s = 0; s < pr.stageCount; s++) {
      load[pr.deviceOfStage[s]] += pr.forwardNanos[s] + pr.inputNanos[s] + pr.weightNanos[s];
    }
    long most = 1;
    for (long l : load) {
      most = Math.max(most, l);
    }
    return most;
  }

  /**
   * Device orders of the repeated block, the F's of stages 1 .. {@code stretchedStages} each
   * delayed by {@code slack} (stretching the block's lifespan on the devices the V passes first).
   */
  int[][] build(long slack, int stretchedStages) {
    // Modulo scheduling's usual way out: when the reservations fragment a ring so that a pass
    // finds no free slot, widen the interval (by 1/16 at a time) and lay the block out again, up
    // to twice the busiest device's work plus the longest pass (more than half of every ring
    // free); real stage costs (planner candidates) need a few percent.
    long interval = interval();
    long widest = interval;
    for (int s = 0; s < pr.stageCount; s++) {
      widest = Math.max(widest, pr.forwardNanos[s] + pr.inputNanos[s] + pr.weightNanos[s]);
    }
    long enough = 2 * interval + widest;
    while (true) {
      int[][] orders = buildAt(interval, slack, stretchedStages);
      if (orders != null) {
        return orders;
      }
      if (interval >= enough) {
        throw new IllegalStateException(
            "no building block fits a ring of " + interval + " ns; the block cannot be laid out");
      }
      interval = Math.min(enough, interval + Math.max(1, interval / 16));
    }
  }

  /** The block laid out on rings of {@code interval}, or null when a pass finds no free slot. */
  private int[][] buildAt(long interval, long slack, int stretchedStages) {
    int stages = pr.stageCount;
    List<List<long[]>> rings = new ArrayList<>(pr.deviceCount);
    for (int d = 0; d < pr.deviceCount; d++) {
      rings.add(new ArrayList<>());
    }
    long[] startF = new long[stages];
    long[] startI = new long[stages];
    long[] startW = new long[stages];
    long previousEnd = 0;
    for (int s = 0; s < stages; s++) {
      long ready =
          s == 0
              ? 0
              : previousEnd + pr.forwardTransferNanos[s] + (s <= stretchedStages ? slack : 0);
      startF[s] = place(rings.get(pr.deviceOfStage[s]), ready, pr.forwardNanos[s], interval);
      if (startF[s] == NO_SLOT) {
        return null;
      }
      previousEnd = startF[s] + pr.forwardNanos[s];
    }
    for (int s = stages - 1; s >= 0; s--) {
      long ready = startF[s] + pr.forwardNanos[s];
      if (s + 1 < stages) {
        ready = Math.max(ready, startI[s + 1] + pr.inputNanos[s + 1] + pr.backwardTransferNanos[s]);
      }
      startI[s] = place(rings.get(pr.deviceOfStage[s]), ready, pr.inputNanos[s], interval);
      if (startI[s] == NO_SLOT) {
        return null;
      }
    }
    for (int s = stages - 1; s >= 0; s--) {
      startW[s] =
          place(
              rings.get(pr.deviceOfStage[s]),
              startI[s] + pr.inputNanos[s],
              pr.weightNanos[s],
              interval);
      if (startW[s] == NO_SLOT) {
        return null;
      }
    }
    int m = pr.microBatchCount;
    int[][] orders = new int[pr.deviceCount][];
    for (int d = 0; d < pr.deviceCount; d++) {
      List<long[]> timed = new ArrayList<>();
      for (int s : pr.stagesOfDevice[d]) {
        for (int j = 0; j < m; j++) {
          long shift = j * interval;
          timed.add(new long[] {startF[s] + shift, pr.code(SplitBackwardProblem.F, s, j)});
          timed.add(new long[] {startI[s] + shift, pr.code(SplitBackwardProblem.I, s, j)});
          timed.add(new long[] {startW[s] + shift, pr.code(SplitBackwardProblem.W, s, j)});
        }
      }
      // Ties (zero-length passes only) by code: F before I before W of a stage and micro-batch.
      timed.sort(Comparator.<long[]>comparingLong(x -> x[0]).thenComparingLong(x -> x[1]));
      orders[d] = new int[timed.size()];
      for (int k = 0; k < timed.size(); k++) {
        orders[d][k] = (int) timed.get(k)[1];
      }
    }
    return orders;
  }

  /** What {@link #place} returns when no slot is free. */
  private static final long NO_SLOT = Long.MIN_VALUE;

  /**
   * The earliest start at or after {@code ready} whose slot of {@code length} is free on the ring
   * of circumference {@code interval}; reserves it. {@link #NO_SLOT} when none is.
   */
  private static long place(List<long[]> ring, long ready, long length, long interval) {
    if (length == 0) {
      return ready;
    }
    List<Long> candidates = new ArrayList<>();
    candidates.add(ready);
    long base = Math.floorDiv(ready, interval) * interval;
    for (long[] arc : ring) {
      for (long lap = -1; lap <= 1; lap++) {
        long end = base + lap * interval + arc[1];
        if (end >= ready && end < ready + interval) {
          candidates.add(end);
        }
      }
    }
    candidates.sort(Comparator.naturalOrder());
    for (long t : candidates) {
      long from = Math.floorMod(t, interval);
      if (free(ring, from, length, interval)) {
        ring.add(new long[] {from, from + length});
        return t;
      }
    }
    return NO_SLOT;
  }

  /** Whether [from, from + length) (wrapping around the ring) misses every reserved arc. */
  private static boolean free(List<long[]> ring, long from, long length, long interval) {
    for (long[] arc : ring) {
      for (long lap = -1; lap <= 1; lap++) {
        long a = arc[0] + lap * interval;
        long b = arc[1] + lap * interval;
        if (from < b && a < from + length) {
          return false;
        }
      }
    }
    return true;
  }

  /** Peak in-flight count per device of some orders (F adds one, W removes one). */
  static int[] peaks(SplitBackwardProblem pr, int[][] orders) {
    int[] peaks = new int[pr.deviceCount];
    for (int d = 0; d < pr.deviceCount; d++) {
      int current = 0;
      for (int code : orders[d]) {
        int type = pr.typeOf(code);
        current += type == SplitBackwardProblem.F ? 1 : type == SplitBackwardProblem.W ? -1 : 0;
        peaks[d] = Math.max(peaks[d], current);
      }
    }
    return Arrays.copyOf(peaks, peaks.length);
  }
}
