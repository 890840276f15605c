package dev.pipeplan.simulator.schedule;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * A list scheduler in unit time steps (F = I = W = 1) that builds a zero-bubble order under a
 * per-device cap on the activation sets in flight (counted as {@link InFlight} counts, from F to
 * W). In each step every idle device takes, in this priority: the ready input-gradient backward (I)
 * of the oldest micro-batch (ties: the later stage); else the ready forward of the oldest
 * micro-batch that the cap admits; else its oldest pending weight-gradient backward (W), so W's
 * fill what would be bubbles; else it idles. Forwards and I's of a stage go in micro-batch order.
 *
 * <p>A micro-batch enters a device at its first stage there. Entering is admitted only while
 * in-flight + v <= cap, which leaves the device at least v - 1 free slots after it; a forward on a
 * later stage of the device needs only in-flight + 1 <= cap. Why this never deadlocks (with cap >=
 * v): take the oldest unfinished micro-batch. Forwards of a stage go in micro-batch order, so a
 * device holds later-stage activations only of older, finished micro-batches, whose pending W's run
 * whenever nothing else can; once they ran, the device holds only first-stage activations, each
 * admitted with v - 1 slots to spare, so the oldest micro-batch's later-stage forwards find room,
 * and its backwards need none. Unlike reserving v slots per micro-batch for its whole life, this
 * keeps only one micro-batch's worth of slack, which matters on a V where the first stage's
 * activation lives through the whole V and the last stage's only briefly.
 */
final class CappedGreedyScheduler {
  private final int deviceCount;
  private final int microBatchCount;
  private final int stageCount;
  private final List<Integer> stageToDevice;
  private final int[] capPerDevice;
  private final int[][] deviceStages;

  CappedGreedyScheduler(
      int deviceCount, int microBatchCount, List<Integer> stageToDevice, int[] capPerDevice) {
    this.deviceCount = deviceCount;
    this.microBatchCount = microBatchCount;
    this.stageCount = stageToDevice.size();
    this.stageToDevice = List.copyOf(stageToDevice);
    this.capPerDevice = capPerDevice.clone();
    this.deviceStages = new int[deviceCount][];
    for (int d = 0; d < deviceCount; d++) {
      int count = 0;
      for (int s = 0; s < stageCount; s++) {
        count += stageToDevice.get(s) == d ? 1 : 0;
      }
      deviceStages[d] = new int[count];
      int k = 0;
      for (int s = 0; s < stageCount; s++) {
        if (stageToDevice.get(s) == d) {
          deviceStages[d][k++] = s;
        }
      }
      if (capPerDevice[d] < count) {
        throw new IllegalArgumentException(
            "cap " + capPerDevice[d] + " on device " + d + " is below its " + count + " stages");
      }
    }
  }

  /** Builds the per-device orders. */
  List<List<Action>> build() {
    int m = microBatchCount;
    long[] doneF = new long[stageCount * m];
    long[] doneI = new long[stageCount * m];
    Arrays.fill(doneF, Long.MAX_VALUE);
    Arrays.fill(doneI, Long.MAX_VALUE);
    int[] nextF = new int[stageCount];
    int[] nextI = new int[stageCount];
    int[] inFlight = new int[deviceCount];
    List<Deque<Action>> pendingW = new ArrayList<>(deviceCount);
    List<List<Action>> orders = new ArrayList<>(deviceCount);
    for (int d = 0; d < deviceCount; d++) {
      pendingW.add(new ArrayDeque<>());
      orders.add(new ArrayList<>());
    }
    long remaining = 3L * stageCount * m;
    Action[] chosen = new Action[deviceCount];
    for (long t = 0; remaining > 0; t++) {
      boolean progress = false;
      for (int d = 0; d < deviceCount; d++) {
        chosen[d] = choose(d, t, doneF, doneI, nextF, nextI, inFlight, pendingW.get(d));
      }
      for (int d = 0; d < deviceCount; d++) {
        Action a = chosen[d];
        if (a == null) {
          continue;
        }
        progress = true;
        remaining--;
        orders.get(d).add(a);
        int key = a.stage() * m + a.microBatch();
        inFlight[d] +=
            switch (a.type()) {
              case F -> {
                doneF[key] = t + 1;
                nextF[a.stage()]++;
                yield 1;
              }
              case I -> {
                doneI[key] = t + 1;
                nextI[a.stage()]++;
                pendingW.get(d).add(Action.of(ActionType.W, a.stage(), a.microBatch()));
                yield 0;
              }
              case W -> {
                pendingW.get(d).poll();
                yield -1;
              }
              case B -> throw new IllegalStateException("unexpected " + a);
            };
      }
      // Every action takes one step, so a step where no device starts anything leaves nothing
      // running.
      if (!progress) {
        throw new IllegalStateException("greedy scheduler stalled at step " + t);
      }
    }
    return orders;
  }

  private boolean isFirstStageOnDevice(int stage, int device) {
    return deviceStages[device][0] == stage;
  }

  private Action choose(
      int d,
      long t,
      long[] doneF,
      long[] doneI,
      int[] nextF,
      int[] nextI,
      int[] inFlight,
      Deque<Action> pendingW) {
    int m = microBatchCount;
    Action best = null;
    for (int s : deviceStages[d]) {
      int j = nextI[s];
      if (j >= m || doneF[s * m + j] > t) {
        continue;
      }
      if (s + 1 < stageCount && doneI[(s + 1) * m + j] > t) {
        continue;
      }
      if (best == null || j < best.microBatch() || (j == best.microBatch() && s > best.stage())) {
        best = Action.of(ActionType.I, s, j);
      }
    }
    if (best != null) {
      return best;
    }
    for (int s : deviceStages[d]) {
      int j = nextF[s];
      if (j >= m || (s > 0 && doneF[(s - 1) * m + j] > t)) {
        continue;
      }
      int room = isFirstStageOnDevice(s, d) ? deviceStages[d].length : 1;
      if (inFlight[d] + room > capPerDevice[d]) {
        continue;
      }
      if (best == null || j < best.microBatch() || (j == best.microBatch() && s > best.stage())) {
        best = Action.of(ActionType.F, s, j);
      }
    }
    if (best != null) {
      return best;
    }
    return pendingW.peek();
  }
}
