package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * DualPipeV: DeepSeek's DualPipe (DeepSeek-V3 report, 2024) cut to a V, in the order of
 * deepseek-ai/DualPipe's {@code DualPipeV} and PyTorch's {@code ScheduleDualPipeV}. Device r owns
 * stage r (chunk 0) and stage 2p-1-r (chunk 1). Its eight phases: 2(p-r-1) chunk-0 forwards; r+1
 * pairs of forwards (chunk 0, chunk 1); p-r-1 triples (chunk-1 I, oldest pending W, chunk-1 F);
 * m-2p+r+1 main steps of two overlapped forward/backward pairs (chunk-0 F with chunk-1 B, then
 * chunk-1 F with chunk-0 B); p-r-1 steps (chunk-1 B, then chunk-1 F with chunk-0 B); r+1 pairs of
 * backwards (chunk 1, chunk 0) that switch from fused B to split I (W deferred) halfway; p-r-1
 * steps (pending W, chunk-0 backward); and the last r+1 pending W's. An overlapped pair is modelled
 * as its two actions back to back, forward first. Backwards are fused (B) except where the schedule
 * splits them to fill bubbles, so one schedule mixes B with I and W. Requires v = 2 and m >= 2p (at
 * least as many micro-batches as stages). In flight on every device, in (chunk, micro-batch)
 * activation sets: 2p + 1.
 */
public final class DualPipeVGenerator implements ScheduleGenerator {
  /** Why the kind needs {@link ScheduleKind#minMicroBatches} micro-batches, for the refusal. */
  static final String WHY_MINIMUM = " (at least as many micro-batches as the 2p stages)";

  @Override
  public Schedule generate(ScheduleRequest request) {
    RequestChecks.requireKind(request, ScheduleKind.DUALPIPE_V);
    RequestChecks.requireVirtualStages(request, 2, " Maybe use --virtual-stages 2.");
    RequestChecks.requireNoGroupSize(request);
    RequestChecks.requireMinimumMicroBatches(request, WHY_MINIMUM);
    RequestChecks.requireInFlightWithinLimit(request);
    int p = request.deviceCount();
    int m = request.microBatchCount();
    List<List<Action>> lists = new ArrayList<>(p);
    for (int r = 0; r < p; r++) {
      DeviceOrder o = new DeviceOrder(r, 2 * p - 1 - r);
      for (int k = 0; k < 2 * (p - r - 1); k++) {
        o.forward(o.stage0);
      }
      for (int k = 0; k < r + 1; k++) {
        o.forward(o.stage0);
        o.forward(o.stage1);
      }
      for (int k = 0; k < p - r - 1; k++) {
        o.backward(o.stage1, true);
        o.pendingWeightGrad();
        o.forward(o.stage1);
      }
      for (int k = 0; k < m - 2 * p + r + 1; k++) {
        o.forward(o.stage0);
        o.backward(o.stage1, false);
        o.forward(o.stage1);
        o.backward(o.stage0, false);
      }
      for (int k = 0; k < p - r - 1; k++) {
        o.backward(o.stage1, false);
        o.forward(o.stage1);
        o.backward(o.stage0, false);
      }
      boolean split = false;
      int pairs = r + 1;
      for (int k = 0; k < pairs; k++) {
        if (k == pairs / 2 && r % 2 == 1) {
          split = true;
        }
        o.backward(o.stage1, split);
        if (k == pairs / 2 && r % 2 == 0) {
          split = true;
        }
        o.backward(o.stage0, split);
      }
      for (int k = 0; k < p - r - 1; k++) {
        o.pendingWeightGrad();
        o.backward(o.stage0, split);
      }
      for (int k = 0; k < r + 1; k++) {
        o.pendingWeightGrad();
      }
      lists.add(o.actions);
    }
    return new Schedule(request.kind().id(), p, m, Schedule.vShapePlacement(p), lists);
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    return 2 * request.deviceCount() + 1;
  }

  /**
   * One device's order under construction: per-stage forward and backward counters and the pending
   * W queue.
   */
  private static final class DeviceOrder {
    final int stage0;
    final int stage1;
    final List<Action> actions = new ArrayList<>();
    final int[] forwards = new int[2];
    final int[] backwards = new int[2];
    final Deque<Action> pendingW = new ArrayDeque<>();

    DeviceOrder(int stage0, int stage1) {
      this.stage0 = stage0;
      this.stage1 = stage1;
    }

    private int chunk(int stage) {
      return stage == stage0 ? 0 : 1;
    }

    void forward(int stage) {
      actions.add(Action.of(ActionType.F, stage, forwards[chunk(stage)]++));
    }

    /** A fused backward, or an input-gradient backward whose W joins the pending queue. */
    void backward(int stage, boolean split) {
      int j = backwards[chunk(stage)]++;
      if (split) {
        actions.add(Action.of(ActionType.I, stage, j));
        pendingW.add(Action.of(ActionType.W, stage, j));
      } else {
        actions.add(Action.of(ActionType.B, stage, j));
      }
    }

    void pendingWeightGrad() {
      if (!pendingW.isEmpty()) {
        actions.add(pendingW.poll());
      }
    }
  }
}
