package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionCosts;
import dev.pipeplan.simulator.schedule.ActionType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One instance of the split-backward scheduling problem the cost-aware generators solve: p devices,
 * m micro-batches, a stage placement, per-stage F, I, W and transfer times, and a cap on each
 * device's activation sets in flight (counted from F to W, as {@link InFlight} counts). Device
 * orders are int arrays of action codes, {@code (type * stages + stage) * m + microBatch} with type
 * 0 = F, 1 = I, 2 = W. {@link #makespan} times an order exactly as the simulator's list scheduling
 * does (an action starts when its device is free and its dependencies have ended, plus the transfer
 * time across devices), so candidate orders are compared by the number the planner will see. With
 * {@code postValidated} the number is instead the steady-state period of back-to-back iterations
 * with the optimizer step post-validated, as {@code engine.SteadyStateSimulator} computes it (less
 * the few microseconds of the partial-state messages between devices): the objective of the Zero
 * Bubble code's own scheduler, which minimises the longest device span ({@code Graph.manual_order}
 * and the ILP objective in its {@code auto_schedule.py}).
 */
final class SplitBackwardProblem {
  static final int F = 0;
  static final int I = 1;
  static final int W = 2;
  static final long DEADLOCK = Long.MAX_VALUE;

  final int deviceCount;
  final int microBatchCount;
  final int stageCount;
  final int[] deviceOfStage;
  final int[][] stagesOfDevice;
  final long[] forwardNanos;
  final long[] inputNanos;
  final long[] weightNanos;
  final long[] forwardTransferNanos;
  final long[] backwardTransferNanos;
  final int[] capPerDevice;
  final boolean postValidated;
  private final long[] end;
  private final int[] next;
  private final int[] waiter;
  private final int[] stack;

  SplitBackwardProblem(
      int deviceCount,
      int microBatchCount,
      List<Integer> stageToDevice,
      ActionCosts costs,
      int[] capPerDevice) {
    this(deviceCount, microBatchCount, stageToDevice, costs, capPerDevice, false);
  }

  SplitBackwardProblem(
      int deviceCount,
      int microBatchCount,
      List<Integer> stageToDevice,
      ActionCosts costs,
      int[] capPerDevice,
      boolean postValidated) {
    this.postValidated = postValidated;
    this.deviceCount = deviceCount;
    this.microBatchCount = microBatchCount;
    this.stageCount = stageToDevice.size();
    this.deviceOfStage = new int[stageCount];
    int[] perDevice = new int[deviceCount];
    for (int s = 0; s < stageCount; s++) {
      deviceOfStage[s] = stageToDevice.get(s);
      perDevice[deviceOfStage[s]]++;
    }
    this.stagesOfDevice = new int[deviceCount][];
    for (int d = 0; d < deviceCount; d++) {
      stagesOfDevice[d] = new int[perDevice[d]];
      int k = 0;
      for (int s = 0; s < stageCount; s++) {
        if (deviceOfStage[s] == d) {
          stagesOfDevice[d][k++] = s;
        }
      }
    }
    ActionCosts c = costs.orUnit(stageCount);
    this.forwardNanos = toArray(c.forwardNanos());
    this.inputNanos = toArray(c.backwardInputNanos());
    this.weightNanos = toArray(c.backwardWeightNanos());
    this.forwardTransferNanos = toArray(c.forwardTransferNanos());
    this.backwardTransferNanos = toArray(c.backwardTransferNanos());
    this.capPerDevice = capPerDevice.clone();
    this.end = new long[3 * stageCount * microBatchCount];
    this.next = new int[deviceCount];
    this.waiter = new int[3 * stageCount * microBatchCount];
    this.stack = new int[deviceCount];
  }

  int code(int type, int stage, int microBatch) {
    return (type * stageCount + stage) * microBatchCount + microBatch;
  }

  int typeOf(int code) {
    return code / (stageCount * microBatchCount);
  }

  int stageOf(int code) {
    return (code / microBatchCount) % stageCount;
  }

  int microBatchOf(int code) {
    return code % microBatchCount;
  }

  long duration(int code) {
    int s = stageOf(code);
    return switch (typeOf(code)) {
      case F -> forwardNanos[s];
      case I -> inputNanos[s];
      default -> weightNanos[s];
    };
  }

  /**
   * The iteration time of the orders (the latest end), or {@link #DEADLOCK} when some action waits
   * forever (a cycle through the device orders). Not thread-safe: it reuses working arrays.
   */
  long makespan(int[][] orders) {
    return timed(orders, null);
  }

  /**
   * Like {@link #makespan}, and writes each device's last end into {@code deviceEnds} (when not
   * null).
   */
  long timed(int[][] orders, long[] deviceEnds) {
    if (!postValidated) {
      return timedOnce(orders, new long[deviceCount], deviceEnds);
    }
    return period(orders, deviceEnds);
  }

  /**
   * When the action {@code code} ended in the iteration {@link #timed} timed last (post-validated:
   * the last of the back-to-back iterations, on that iteration's clock); -1 before any timing or
   * when that timing deadlocked before reaching it.
   */
  long lastEnd(int code) {
    return end[code];
  }

  /** The most iterations {@link #period} times before it takes the average of the second half. */
  static final int MAX_PERIOD_ITERATIONS = 16;

  /**
   * The steady-state period: iterations timed back to back, each device released when its own
   * previous iteration has ended and the device before it has been released (the partial state
   * passed from device d − 1 to d before d steps), until every device's release moves by the same
   * amount (then exact, as in {@code engine.SteadyStateSimulator}). {@code deviceEnds} gets the
   * first iteration's ends.
   */
  private long period(int[][] orders, long[] deviceEnds) {
    long[] release = new long[deviceCount];
    long[] ends = new long[deviceCount];
    long[] latest = new long[MAX_PERIOD_ITERATIONS + 1];
    for (int iteration = 1; iteration <= MAX_PERIOD_ITERATIONS; iteration++) {
      long makespan = timedOnce(orders, release, ends);
      if (makespan == DEADLOCK) {
        return DEADLOCK;
      }
      if (iteration == 1 && deviceEnds != null) {
        System.arraycopy(ends, 0, deviceEnds, 0, deviceCount);
      }
      long chain = 0;
      long shift = -1;
      boolean same = true;
      for (int d = 0; d < deviceCount; d++) {
        chain = Math.max(chain, ends[d]);
        long moved = chain - release[d];
        same &= shift < 0 || moved == shift;
        shift = moved;
        release[d] = chain;
        latest[iteration] = Math.max(latest[iteration], chain);
      }
      if (same) {
        return shift;
      }
    }
    int half = MAX_PERIOD_ITERATIONS / 2;
    return (latest[MAX_PERIOD_ITERATIONS] - latest[half]) / (MAX_PERIOD_ITERATIONS - half);
  }

  /** One iteration with each device free from {@code release[d]} on. */
  private long timedOnce(int[][] orders, long[] release, long[] deviceEnds) {
    Arrays.fill(end, -1L);
    Arrays.fill(next, 0);
    Arrays.fill(waiter, -1);
    long[] free = release.clone();
    int m = microBatchCount;
    int sm = stageCount * m;
    int top = 0;
    for (int d = deviceCount - 1; d >= 0; d--) {
      stack[top++] = d;
    }
    int remaining = 0;
    for (int[] o : orders) {
      remaining += o.length;
    }
    while (top > 0) {
      int d = stack[--top];
      int[] order = orders[d];
      int k = next[d];
      long t = free[d];
      while (k < order.length) {
        int code = order[k];
        int type = code / sm;
        int rest = code - type * sm;
        int s = rest / m;
        // The producer this action waits on, if it has not run yet.
        int missing = -1;
        long ready;
        if (type == F) {
          ready = 0;
          if (s > 0) {
            long e = end[code - m];
            if (e < 0) {
              missing = code - m;
            } else {
              ready = e + forwardTransferNanos[s];
            }
          }
        } else if (type == I) {
          ready = end[rest];
          if (ready < 0) {
            missing = rest;
          } else if (s + 1 < stageCount) {
            long up = end[code + m];
            if (up < 0) {
              missing = code + m;
            } else {
              ready = Math.max(ready, up + backwardTransferNanos[s]);
            }
          }
        } else {
          ready = end[sm + rest];
          if (ready < 0) {
            missing = sm + rest;
          }
        }
        if (missing >= 0) {
          if (deviceOfStage[(missing / m) % stageCount] == d) {
            // It comes later in this device's own order: it can never run.
            return DEADLOCK;
          }
          waiter[missing] = d;
          break;
        }
        long start = Math.max(t, ready);
        t = start + duration(code);
        end[code] = t;
        k++;
        remaining--;
        int w = waiter[code];
        if (w >= 0) {
          waiter[code] = -1;
          stack[top++] = w;
        }
      }
      next[d] = k;
      free[d] = t;
    }
    if (remaining > 0) {
      return DEADLOCK;
    }
    long worst = 0;
    for (int d = 0; d < deviceCount; d++) {
      worst = Math.max(worst, free[d]);
      if (deviceEnds != null) {
        deviceEnds[d] = free[d];
      }
    }
    return worst;
  }

  /**
   * A lower bound on every order's makespan: device d cannot start before micro-batch 0's forward
   * has crossed the stages in front of its first stage, and then runs all its actions one at a
   * time. Post-validated, a bound on the period: each device's own work.
   */
  long lowerBound() {
    long[] firstStart = new long[deviceCount];
    Arrays.fill(firstStart, -1L);
    long forwardSoFar = 0;
    long[] busy = new long[deviceCount];
    for (int s = 0; s < stageCount; s++) {
      int d = deviceOfStage[s];
      forwardSoFar += forwardTransferNanos[s];
      if (firstStart[d] < 0) {
        firstStart[d] = forwardSoFar;
      }
      forwardSoFar += forwardNanos[s];
      busy[d] += microBatchCount * (forwardNanos[s] + inputNanos[s] + weightNanos[s]);
    }
    long bound = 0;
    for (int d = 0; d < deviceCount; d++) {
      // Post-validated, a device's start-up is paid once, not per iteration.
      bound = Math.max(bound, (postValidated ? 0 : Math.max(0, firstStart[d])) + busy[d]);
    }
    return bound;
  }

  /** Whether every device's walked in-flight count stays within its cap. */
  boolean withinCaps(int[][] orders) {
    for (int d = 0; d < deviceCount; d++) {
      int current = 0;
      for (int code : orders[d]) {
        int type = typeOf(code);
        current += type == F ? 1 : type == W ? -1 : 0;
        if (current > capPerDevice[d]) {
          return false;
        }
      }
    }
    return true;
  }

  List<List<Action>> toActions(int[][] orders) {
    List<List<Action>> lists = new ArrayList<>(deviceCount);
    for (int[] order : orders) {
      List<Action> actions = new ArrayList<>(order.length);
      for (int code : order) {
        ActionType type =
            switch (typeOf(code)) {
              case F -> ActionType.F;
              case I -> ActionType.I;
              default -> ActionType.W;
            };
        actions.add(Action.of(type, stageOf(code), microBatchOf(code)));
      }
      lists.add(actions);
    }
    return lists;
  }

  /**
   * Orders of F, I and W actions as codes (a B action has no code: the caller never passes one).
   */
  int[][] fromActions(List<List<Action>> lists) {
    int[][] orders = new int[deviceCount][];
    for (int d = 0; d < deviceCount; d++) {
      List<Action> actions = lists.get(d);
      orders[d] = new int[actions.size()];
      for (int k = 0; k < actions.size(); k++) {
        Action a = actions.get(k);
        int type =
            switch (a.type()) {
              case F -> F;
              case I -> I;
              case W -> W;
              case B -> throw new IllegalArgumentException("fused backward " + a);
            };
        orders[d][k] = code(type, a.stage(), a.microBatch());
      }
    }
    return orders;
  }

  private static long[] toArray(List<Long> values) {
    long[] out = new long[values.size()];
    for (int s = 0; s < out.length; s++) {
      out[s] = values.get(s);
    }
    return out;
  }
}
