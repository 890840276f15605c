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
 * ZB-H2 (Qi et al., ICLR 2024): device r runs min(2(p-r)-1, m) warm-up forwards, enough to cover
 * the wait for its first input gradient, then repeats I, W, F with the W's deferred so that device
 * r keeps 2r of them pending; those fill the drain, so with F = I = W every device works without a
 * gap from its first forward to its last action once m >= 2p - 1. Every device keeps min(2p-1, m)
 * micro-batches in flight (counted from F to W), the paper's 2p-1. One stage per device; any m >= 1
 * (below 2p-1 the warm-up is cut short and bubbles return).
 */
public final class ZeroBubbleH2Generator implements ScheduleGenerator {
  @Override
  public Schedule generate(ScheduleRequest request) {
    RequestChecks.requireOneStagePerDevice(
        request, ScheduleKind.ZB_H2, " Maybe use schedule kind zb-v for two stages per device.");
    int p = request.deviceCount();
    int m = request.microBatchCount();
    List<List<Action>> lists = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      List<Action> actions = new ArrayList<>(3 * m);
      Deque<Integer> pendingW = new ArrayDeque<>();
      int forwards = 0;
      int warmup = Math.min(2 * (p - d) - 1, m);
      while (forwards < warmup) {
        actions.add(Action.of(ActionType.F, d, forwards++));
      }
      for (int j = 0; j < m; j++) {
        actions.add(Action.of(ActionType.I, d, j));
        pendingW.add(j);
        while (pendingW.size() > 2 * d) {
          actions.add(Action.of(ActionType.W, d, pendingW.poll()));
        }
        if (forwards < m) {
          actions.add(Action.of(ActionType.F, d, forwards++));
        }
      }
      while (!pendingW.isEmpty()) {
        actions.add(Action.of(ActionType.W, d, pendingW.poll()));
      }
      lists.add(actions);
    }
    return new Schedule(request.kind().id(), p, m, Schedule.loopedPlacement(p, 1), lists);
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    return Math.min(2 * request.deviceCount() - 1, request.microBatchCount());
  }
}
