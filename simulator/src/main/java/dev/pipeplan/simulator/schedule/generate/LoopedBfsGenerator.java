package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Looped breadth-first (Lamy-Poirier, "Breadth-First Pipeline Parallelism", 2023; PyTorch's {@code
 * ScheduleLoopedBFS}): each device owns v looped chunks (stage c*p + r on device r) and runs every
 * micro-batch's forward through chunk 0, then through chunk 1, and so on; then the fused backwards
 * chunk by chunk in reverse, last micro-batch first. Any v >= 1 and m >= 1 (v = 1 is GPipe with the
 * backwards reversed). All m*v (chunk, micro-batch) activation sets are in flight at the turn.
 */
public final class LoopedBfsGenerator implements ScheduleGenerator {
  @Override
  public Schedule generate(ScheduleRequest request) {
    RequestChecks.requireKind(request, ScheduleKind.LOOPED_BFS);
    RequestChecks.requireNoGroupSize(request);
    RequestChecks.requireInFlightWithinLimit(request);
    int p = request.deviceCount();
    int m = request.microBatchCount();
    int v = request.virtualStages();
    List<List<Action>> lists = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      List<Action> actions = new ArrayList<>(2 * m * v);
      for (int c = 0; c < v; c++) {
        for (int j = 0; j < m; j++) {
          actions.add(Action.of(ActionType.F, c * p + d, j));
        }
      }
      for (int c = v - 1; c >= 0; c--) {
        for (int j = m - 1; j >= 0; j--) {
          actions.add(Action.of(ActionType.B, c * p + d, j));
        }
      }
      lists.add(actions);
    }
    return new Schedule(request.kind().id(), p, m, Schedule.loopedPlacement(p, v), lists);
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    return request.microBatchCount() * request.virtualStages();
  }
}
