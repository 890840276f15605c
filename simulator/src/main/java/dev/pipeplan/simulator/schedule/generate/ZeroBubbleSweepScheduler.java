package dev.pipeplan.simulator.schedule.generate;

/**
 * The automatic scheduling heuristic of Qi et al., "Zero Bubble Pipeline Parallelism" (ICLR 2024,
 * section 3.1 and appendix), for one stage per device, written from the paper's description: it
 * places actions micro-batch by micro-batch, a forward sweep down the stages and a backward sweep
 * up, timing each action as it goes with the real F, I, W and transfer times, so every decision
 * sees when its inputs arrive.
 *
 * <ul>
 *   <li><b>Warm-up sized by the memory limit.</b> After micro-batch 0's forwards, each stage (from
 *       the last up) adds forwards while they fit before micro-batch 0's input gradient reaches it
 *       and the in-flight cap admits them; a later stage never runs more warm-up forwards than the
 *       stage before it. {@link Variant#overshootWarmup} also lets the last forward overrun the
 *       arrival (the paper's "allow bubble before the first B" switch, inverted).
 *   <li><b>I against W by the real costs.</b> Each later micro-batch gets one forward and one I per
 *       stage. Before an F or I, pending W's fill the wait for its input as long as they end before
 *       the input arrives; a W that would overrun the arrival is still placed when the remaining
 *       gap is larger than the stage may idle (the largest bubble any stage has so far), or always
 *       with {@link Variant#greedyFill}. A W is forced when the cap leaves no room for the next
 *       forward.
 *   <li><b>Forwards held back.</b> With {@link Variant#deferForwards}, a stage two or more forwards
 *       ahead of the next skips its forward when the next stage's I would arrive before it ends,
 *       unless idling would cost it more than the largest bubble so far.
 *   <li>The W's left at the end run last.
 * </ul>
 *
 * <p>The paper tries every combination of its switches and keeps the shortest schedule; {@link
 * CostAwareSearch} does the same over {@link Variant#all()}. The paper's objective is each stage's
 * span; ours is the simulator's iteration time (the latest end), which the search times exactly.
 * Throws {@link IllegalStateException} when the cap cannot hold even one forward per stage (never
 * for caps >= 1 with W's pending).
 */
final class ZeroBubbleSweepScheduler {
  record Variant(boolean overshootWarmup, boolean deferForwards, boolean greedyFill) {
    static Variant[] all() {
      Variant[] out = new Variant[8];
      for (int k = 0; k < 8; k++) {
        out[k] = new Variant((k & 1) != 0, (k & 2) != 0, (k & 4) != 0);
      }
      return out;
    }
  }

  private final SplitBackwardProblem pr;
  private final int p;
  private final int m;
  // Working state of one build.
  private long[] endF;
  private long[] endI;
  private long[] free;
  private long[] idle;
  private int[] f;
  private int[] b;
  private int[] w;
  private int[] filled;
  private int[][] orders;

  ZeroBubbleSweepScheduler(SplitBackwardProblem problem) {
    if (problem.stageCount != problem.deviceCount) {
      throw new IllegalArgumentException("the sweep heuristic needs one stage per device");
    }
    this.pr = problem;
    this.p = problem.deviceCount;
    this.m = problem.microBatchCount;
  }

  int[][] build(Variant variant) {
    endF = new long[p * m];
    endI = new long[p * m];
    free = new long[p];
    idle = new long[p];
    f = new int[p];
    b = new int[p];
    w = new int[p];
    filled = new int[p];
    orders = new int[p][3 * m];
    for (int j = 0; j < p; j++) {
      put(j, SplitBackwardProblem.F);
    }
    int[] extra = warmup(variant);
    for (int j = 0; j < p; j++) {
      for (int k = 0; k < extra[j]; k++) {
        forward(j, variant);
      }
    }
    for (int j = p - 1; j >= 0; j--) {
      backward(j, variant);
    }
    for (int i = 1; i < m; i++) {
      boolean[] wants = new boolean[p];
      for (int j = 0; j < p; j++) {
        wants[j] = f[j] < m && (!variant.deferForwards() || !holdsBack(j));
      }
      for (int j = p - 2; j >= 0; j--) {
        wants[j] &= wants[j + 1] || f[j + 1] >= m;
      }
      for (int j = 0; j < p; j++) {
        if (wants[j]) {
          forward(j, variant);
        }
      }
      for (int j = p - 1; j >= 0; j--) {
        backward(j, variant);
      }
    }
    for (int j = 0; j < p; j++) {
      while (f[j] < m) {
        forward(j, variant);
      }
    }
    for (int j = 0; j < p; j++) {
      while (w[j] < b[j]) {
        put(j, SplitBackwardProblem.W);
      }
    }
    return orders;
  }

  /** Extra forwards per stage before micro-batch 0's I reaches it. */
  private int[] warmup(Variant variant) {
    int[] extra = new int[p];
    long arrival = endF[(p - 1) * m] + pr.inputNanos[p - 1];
    for (int j = p - 2; j >= 0; j--) {
      long at = arrival + pr.backwardTransferNanos[j];
      long time = free[j];
      int inFlight = f[j] - w[j];
      while (f[j] + extra[j] < m && inFlight + extra[j] + 1 <= pr.capPerDevice[j]) {
        long next = time + pr.forwardNanos[j];
        boolean fits = variant.overshootWarmup() ? time < at : next <= at;
        if (!fits) {
          break;
        }
        time = next;
        extra[j]++;
      }
      arrival = Math.max(time, at) + pr.inputNanos[j];
    }
    for (int j = 1; j < p; j++) {
      while (extra[j] > 0 && extra[j] >= extra[j - 1] && f[j] + extra[j] < m) {
        extra[j]--;
      }
    }
    return extra;
  }

  /** Whether stage j, two or more forwards ahead of j + 1, should wait for its next I instead. */
  private boolean holdsBack(int j) {
    if (j + 1 >= p || f[j] < f[j + 1] + 2 || f[j + 1] >= m) {
      return false;
    }
    long iArrives =
        free[j + 1] + pr.forwardNanos[j + 1] + pr.inputNanos[j + 1] + pr.backwardTransferNanos[j];
    if (free[j] >= iArrives) {
      return true;
    }
    long forced = 0;
    int pendingW = w[j];
    int inFlight = f[j] - w[j];
    while (inFlight + 1 > pr.capPerDevice[j] && pendingW < b[j]) {
      forced += pr.weightNanos[j];
      pendingW++;
      inFlight--;
    }
    if (free[j] + pr.forwardNanos[j] + forced <= iArrives) {
      return false;
    }
    return iArrives - free[j] <= maxIdle() - idle[j];
  }

  private void forward(int j, Variant variant) {
    while (f[j] - w[j] + 1 > pr.capPerDevice[j]) {
      if (w[j] >= b[j]) {
        throw new IllegalStateException(
            "in-flight cap " + pr.capPerDevice[j] + " holds no forward");
      }
      put(j, SplitBackwardProblem.W);
    }
    if (j > 0) {
      fillBefore(j, endF[(j - 1) * m + f[j]] + pr.forwardTransferNanos[j], variant);
    }
    put(j, SplitBackwardProblem.F);
  }

  private void backward(int j, Variant variant) {
    while (f[j] <= b[j]) {
      forward(j, variant);
    }
    if (j + 1 < p) {
      fillBefore(j, endI[(j + 1) * m + b[j]] + pr.backwardTransferNanos[j], variant);
    }
    if (j == 0 && f[0] == m) {
      // Stage 0's I ends the backward chain: its pending W's delay nothing else.
      while (w[j] < b[j]) {
        put(j, SplitBackwardProblem.W);
      }
    }
    put(j, SplitBackwardProblem.I);
  }

  /** W's into the wait for an input that arrives at {@code arrival}. */
  private void fillBefore(int j, long arrival, Variant variant) {
    while (w[j] < b[j] && free[j] + pr.weightNanos[j] <= arrival) {
      put(j, SplitBackwardProblem.W);
    }
    if (w[j] < b[j] && free[j] < arrival) {
      boolean affordable = arrival - free[j] <= maxIdle() - idle[j];
      if (!affordable || variant.greedyFill()) {
        put(j, SplitBackwardProblem.W);
      }
    }
  }

  private long maxIdle() {
    long most = 0;
    for (long x : idle) {
      most = Math.max(most, x);
    }
    return most;
  }

  private void put(int j, int type) {
    int mb;
    long ready;
    long duration;
    switch (type) {
      case SplitBackwardProblem.F -> {
        mb = f[j]++;
        ready = j == 0 ? 0 : endF[(j - 1) * m + mb] + pr.forwardTransferNanos[j];
        duration = pr.forwardNanos[j];
      }
      case SplitBackwardProblem.I -> {
        mb = b[j]++;
        ready = endF[j * m + mb];
        if (j + 1 < p) {
          ready = Math.max(ready, endI[(j + 1) * m + mb] + pr.backwardTransferNanos[j]);
        }
        duration = pr.inputNanos[j];
      }
      default -> {
        mb = w[j]++;
        ready = 0;
        duration = pr.weightNanos[j];
      }
    }
    long start = Math.max(free[j], ready);
    if (filled[j] > 0) {
      idle[j] += start - free[j];
    }
    free[j] = start + duration;
    if (type == SplitBackwardProblem.F) {
      endF[j * m + mb] = free[j];
    } else if (type == SplitBackwardProblem.I) {
      endI[j * m + mb] = free[j];
    }
    orders[j][filled[j]++] = pr.code(type, j, mb);
  }
}
