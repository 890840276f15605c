package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * ZB-V (Qi et al., ICLR 2024, section 6), in the order PyTorch's {@code ScheduleZBVZeroBubble} runs
 * it. Device r owns chunk 0 = stage r and chunk 1 = stage 2p-1-r (V placement). Its order: 2(p-r)-1
 * chunk-0 forwards; r pairs (chunk-1 F, chunk-0 F); p-r triples (chunk-1 F, I, W); then the steady
 * phase repeats (chunk-0 F, I, W; chunk-1 F, I, W); the drain runs r pairs of input-gradient
 * backwards (chunk 0, chunk 1), then p-r pairs (chunk-0 I, oldest chunk-0 W), then every remaining
 * chunk-1 W and chunk-0 W. For m < 2p-1 the order is built for 2p-1 micro-batches and the actions
 * of the missing ones are dropped, as PyTorch does. Requires v = 2; any m >= 1. In flight on device
 * r, in (chunk, micro-batch) activation sets: min(2p, m+1+r, 2m), that is 2p (p micro-batches, as
 * in 1F1B) once m >= 2p-1.
 */
public final class ZeroBubbleVGenerator implements ScheduleGenerator {
  @Override
  public Schedule generate(ScheduleRequest request) {
    RequestChecks.requireKind(request, ScheduleKind.ZB_V);
    RequestChecks.requireVirtualStages(request, 2, " Maybe use --virtual-stages 2.");
    RequestChecks.requireNoGroupSize(request);
    RequestChecks.requireInFlightWithinLimit(request);
    int p = request.deviceCount();
    int m = request.microBatchCount();
    int built = Math.max(2 * p - 1, m);
    List<List<Action>> lists = new ArrayList<>(p);
    for (int r = 0; r < p; r++) {
      DeviceOrder order = new DeviceOrder(r, 2 * p - 1 - r);
      for (int k = 0; k < 2 * (p - r) - 1; k++) {
        order.forward0();
      }
      for (int k = 0; k < r; k++) {
        order.forward1();
        order.forward0();
      }
      for (int k = 0; k < p - r; k++) {
        order.forward1();
        order.inputGrad1();
        order.weightGrad1();
      }
      while (order.f1 < order.f0 || order.f0 < built) {
        if (order.f0 < built) {
          order.forward0();
        }
        order.inputGrad0();
        order.weightGrad0();
        order.forward1();
        order.inputGrad1();
        order.weightGrad1();
      }
      for (int k = 0; k < r; k++) {
        order.inputGrad0();
        order.inputGrad1();
      }
      for (int k = 0; k < p - r; k++) {
        order.inputGrad0();
        order.weightGrad0();
      }
      while (order.w1 < order.i1) {
        order.weightGrad1();
      }
      while (order.w0 < order.i0) {
        order.weightGrad0();
      }
      List<Action> kept = new ArrayList<>(order.actions.size());
      for (Action a : order.actions) {
        if (a.microBatch() < m) {
          kept.add(a);
        }
      }
      lists.add(kept);
    }
    return new Schedule(request.kind().id(), p, m, Schedule.vShapePlacement(p), lists);
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    int p = request.deviceCount();
    int m = request.microBatchCount();
    return Math.min(Math.min(2 * p, m + 1 + device), 2 * m);
  }

  /** One device's order under construction, with a counter per chunk and action type. */
  private static final class DeviceOrder {
    final int stage0;
    final int stage1;
    final List<Action> actions = new ArrayList<>();
    int f0;
    int f1;
    int i0;
    int i1;
    int w0;
    int w1;

    DeviceOrder(int stage0, int stage1) {
      this.stage0 = stage0;
      this.stage1 = stage1;
    }

    void forward0() {
      actions.add(Action.of(ActionType.F, stage0, f0++));
    }

    void forward1() {
      actions.add(Action.of(ActionType.F, stage1, f1++));
    }

    void inputGrad0() {
      actions.add(Action.of(ActionType.I, stage0, i0++));
    }

    void inputGrad1() {
      actions.add(Action.of(ActionType.I, stage1, i1++));
    }

    void weightGrad0() {
      actions.add(Action.of(ActionType.W, stage0, w0++));
    }

    void weightGrad1() {
      actions.add(Action.of(ActionType.W, stage1, w1++));
    }
  }
}
