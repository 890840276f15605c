package dev.pipeplan.simulator.schedule.generate;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * The constructive half of the zero-bubble heuristic (after Qi et al., ICLR 2024, section 3 and
 * appendix): a list scheduler in real time with the real F, I, W and transfer times. The device
 * that is free earliest decides next, looking at what is ready and, for actions whose producer is
 * already placed, when it becomes ready:
 *
 * <ol>
 *   <li>an input-gradient backward (I) that is ready runs first (oldest micro-batch, then the later
 *       stage): it is on the critical path back to stage 0;
 *   <li>else a ready forward (F) whose activations fit under the in-flight cap; so the warm-up runs
 *       as many forwards as the memory limit admits before the first I arrives, and no more: once
 *       the cap is reached, only a W makes room;
 *   <li>else a pending weight-gradient backward (W) fills the gap; with {@link Policy#fitWeights}
 *       only if it ends before the next known F or I is ready (otherwise the device waits);
 *   <li>else the device waits for the next action to become ready.
 * </ol>
 *
 * <p>With {@link Policy#weightFirst} a pending W goes before a ready F while the device holds more
 * than half its cap (ZB-H2's "I, W, F" rhythm); with {@link Policy#guardInputs} an F or W does not
 * start when a known I becomes ready before it would end (the choice between I and the others by
 * their real lengths). A forward that starts a micro-batch on the device needs room for all the
 * device's stages of it, which keeps the capped order free of deadlock on the V placement: forwards
 * of a stage go in micro-batch order, so a device holds later-stage activations only of older
 * micro-batches, whose pending W's run whenever nothing else can; once they ran, the device holds
 * only first-stage activations, each admitted with v - 1 slots to spare, so the oldest
 * micro-batch's later-stage forwards find room, and its backwards need none.
 */
final class CostAwareListScheduler {
  /** The heuristic's switches; the generator tries every combination and keeps the fastest. */
  record Policy(boolean fitWeights, boolean weightFirst, boolean guardInputs) {
    static Policy[] all() {
      Policy[] out = new Policy[8];
      for (int k = 0; k < 8; k++) {
        out[k] = new Policy((k & 1) != 0, (k & 2) != 0, (k & 4) != 0);
      }
      return out;
    }
  }

  private static final long UNKNOWN = Long.MAX_VALUE;

  private final SplitBackwardProblem problem;

  CostAwareListScheduler(SplitBackwardProblem problem) {
    this.problem = problem;
  }

  /** Device orders under the policy (every action once, caps kept). */
  int[][] build(Policy policy) {
    SplitBackwardProblem pr = problem;
    int p = pr.deviceCount;
    int m = pr.microBatchCount;
    int stages = pr.stageCount;
    long[] endF = new long[stages * m];
    long[] endI = new long[stages * m];
    Arrays.fill(endF, UNKNOWN);
    Arrays.fill(endI, UNKNOWN);
    int[] nextF = new int[stages];
    int[] nextI = new int[stages];
    int[] inFlight = new int[p];
    long[] clock = new long[p];
    long[] lastEnd = new long[p];
    boolean[] blocked = new boolean[p];
    int[] left = new int[p];
    int[][] orders = new int[p][];
    int[] filled = new int[p];
    @SuppressWarnings("unchecked")
    Deque<Integer>[] pendingW = new Deque[p];
    for (int d = 0; d < p; d++) {
      left[d] = 3 * pr.stagesOfDevice[d].length * m;
      orders[d] = new int[left[d]];
      pendingW[d] = new ArrayDeque<>();
    }
    long remaining = 3L * stages * m;
    // Set when every device waits on the others: the earliest then commits to what it knows.
    boolean force = false;
    while (remaining > 0) {
      int d = -1;
      for (int x = 0; x < p; x++) {
        if (left[x] > 0 && !blocked[x] && (d < 0 || clock[x] < clock[d])) {
          d = x;
        }
      }
      if (d < 0) {
        if (force) {
          throw new IllegalStateException(
              "cost-aware scheduler stalled with " + remaining + " left");
        }
        force = true;
        Arrays.fill(blocked, false);
        continue;
      }
      long t = clock[d];
      // The earliest a not-yet-placed producer on another device can end: nothing unknown becomes
      // ready before this.
      long horizon = UNKNOWN;
      for (int x = 0; x < p; x++) {
        if (x != d && left[x] > 0) {
          horizon = Math.min(horizon, clock[x]);
        }
      }
      int bestI = -1;
      long readyI = UNKNOWN;
      for (int s : pr.stagesOfDevice[d]) {
        int j = nextI[s];
        if (j >= m || endF[s * m + j] == UNKNOWN) {
          continue;
        }
        long r = endF[s * m + j];
        if (s + 1 < stages) {
          long up = endI[(s + 1) * m + j];
          if (up == UNKNOWN) {
            continue;
          }
          r = Math.max(r, up + pr.backwardTransferNanos[s]);
        }
        if (bestI < 0
            || r < readyI
            || (r == readyI && j < pr.microBatchOf(bestI))
            || (r == readyI && j == pr.microBatchOf(bestI) && s > pr.stageOf(bestI))) {
          bestI = pr.code(SplitBackwardProblem.I, s, j);
          readyI = r;
        }
      }
      int bestF = -1;
      long readyF = UNKNOWN;
      for (int s : pr.stagesOfDevice[d]) {
        int j = nextF[s];
        if (j >= m) {
          continue;
        }
        int room = pr.stagesOfDevice[d][0] == s ? pr.stagesOfDevice[d].length : 1;
        if (inFlight[d] + room > pr.capPerDevice[d]) {
          continue;
        }
        long r = 0;
        if (s > 0) {
          long e = endF[(s - 1) * m + j];
          if (e == UNKNOWN) {
            continue;
          }
          r = e + pr.forwardTransferNanos[s];
        }
        if (bestF < 0
            || r < readyF
            || (r == readyF && j < pr.microBatchOf(bestF))
            || (r == readyF && j == pr.microBatchOf(bestF) && s > pr.stageOf(bestF))) {
          bestF = pr.code(SplitBackwardProblem.F, s, j);
          readyF = r;
        }
      }
      Integer w = pendingW[d].peek();
      int chosen = -1;
      if (bestI >= 0 && readyI <= t) {
        chosen = bestI;
      } else if (bestF >= 0 && readyF <= t) {
        boolean weightPreferred =
            w != null && policy.weightFirst() && 2 * inFlight[d] > pr.capPerDevice[d];
        if (weightPreferred) {
          chosen = w;
        } else if (guardAllows(policy, t, bestF, readyI)) {
          chosen = bestF;
        } else if (w != null && guardAllows(policy, t, w, readyI)) {
          chosen = w;
        } else if (readyI <= horizon) {
          chosen = bestI;
        }
      } else {
        long nextReady = Math.min(readyI, readyF);
        if (w != null
            && (!policy.fitWeights() || nextReady == UNKNOWN || t + pr.duration(w) <= nextReady)) {
          chosen = w;
        } else if (nextReady != UNKNOWN && nextReady <= horizon) {
          chosen = readyI <= readyF ? bestI : bestF;
        }
      }
      if (chosen < 0 && force) {
        long nextReady = Math.min(readyI, readyF);
        if (nextReady != UNKNOWN) {
          chosen = readyI <= readyF ? bestI : bestF;
        } else if (w != null) {
          chosen = w;
        }
      }
      if (chosen < 0) {
        // Wait until another device has placed something.
        if (horizon == UNKNOWN) {
          if (w != null) {
            chosen = w;
          } else {
            throw new IllegalStateException("cost-aware scheduler: device " + d + " has no work");
          }
        } else if (horizon > t) {
          clock[d] = horizon;
          continue;
        } else {
          blocked[d] = true;
          continue;
        }
      }
      // Place the action.
      int type = pr.typeOf(chosen);
      int s = pr.stageOf(chosen);
      int j = pr.microBatchOf(chosen);
      long ready =
          switch (type) {
            case SplitBackwardProblem.F -> bestF == chosen ? readyF : 0;
            case SplitBackwardProblem.I -> readyI;
            default -> 0;
          };
      long start = Math.max(lastEnd[d], ready);
      long finish = start + pr.duration(chosen);
      lastEnd[d] = finish;
      clock[d] = Math.max(t, finish);
      orders[d][filled[d]++] = chosen;
      left[d]--;
      remaining--;
      Arrays.fill(blocked, false);
      force = false;
      switch (type) {
        case SplitBackwardProblem.F -> {
          endF[s * m + j] = finish;
          nextF[s]++;
          inFlight[d]++;
        }
        case SplitBackwardProblem.I -> {
          endI[s * m + j] = finish;
          nextI[s]++;
          pendingW[d].add(pr.code(SplitBackwardProblem.W, s, j));
        }
        default -> {
          pendingW[d].poll();
          inFlight[d]--;
        }
      }
    }
    return orders;
  }

  /**
   * With {@link Policy#guardInputs}: false when a known I becomes ready after {@code t} but before
   * the action would end.
   */
  private boolean guardAllows(Policy policy, long t, int code, long readyI) {
    if (!policy.guardInputs() || readyI == UNKNOWN || readyI <= t) {
      return true;
    }
    return t + problem.duration(code) <= readyI;
  }
}
