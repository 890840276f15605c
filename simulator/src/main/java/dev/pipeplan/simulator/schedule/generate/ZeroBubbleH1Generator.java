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
 * ZB-H1 (Qi et al., "Zero Bubble Pipeline Parallelism", ICLR 2024): the 1F1B order of forwards and
 * input-gradient backwards (I), with each weight-gradient backward (W) placed after the I of the
 * same micro-batch but deferred so that device r keeps r of them pending; the deferred W's fill the
 * drain phase. With F = I = W the iteration takes 3m + p - 1 time units, and every device keeps
 * min(p, m) micro-batches in flight (counted from F to W), the same peak as 1F1B's first device.
 * One stage per device; any m >= 1.
 */
public final class ZeroBubbleH1Generator implements ScheduleGenerator {
  @Override
  public Schedule generate(ScheduleRequest request) {
    RequestChecks.requireOneStagePerDevice(
        request, ScheduleKind.ZB_H1, " Maybe use schedule kind zb-v for two stages per device.");
    int p = request.deviceCount();
    int m = request.microBatchCount();
    List<List<Action>> lists = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      List<Action> actions = new ArrayList<>(3 * m);
      Deque<Integer> pendingW = new ArrayDeque<>();
      int forwards = 0;
      int warmup = Math.min(p - 1 - d, m);
      while (forwards < warmup) {
        actions.add(Action.of(ActionType.F, d, forwards++));
      }
      for (int j = 0; j < m; j++) {
        if (forwards < m) {
          actions.add(Action.of(ActionType.F, d, forwards++));
        }
        actions.add(Action.of(ActionType.I, d, j));
        pendingW.add(j);
        while (pendingW.size() > d) {
          actions.add(Action.of(ActionType.W, d, pendingW.poll()));
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
    return Math.min(request.deviceCount(), request.microBatchCount());
  }
}
