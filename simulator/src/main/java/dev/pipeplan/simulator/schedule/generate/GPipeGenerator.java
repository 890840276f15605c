package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * GPipe (Huang et al., 2019): every device runs the forwards of all micro-batches, then their fused
 * backwards in micro-batch order (as PyTorch's {@code ScheduleGPipe} does). One stage per device;
 * any m >= 1. All m micro-batches are in flight on every device at the turn from forward to
 * backward.
 */
public final class GPipeGenerator implements ScheduleGenerator {
  @Override
  public Schedule generate(ScheduleRequest request) {
    RequestChecks.requireOneStagePerDevice(
        request,
        ScheduleKind.GPIPE,
        " Maybe use schedule kind looped-bfs for more stages per device.");
    int p = request.deviceCount();
    int m = request.microBatchCount();
    List<List<Action>> lists = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      List<Action> actions = new ArrayList<>(2 * m);
      for (int j = 0; j < m; j++) {
        actions.add(Action.of(ActionType.F, d, j));
      }
      for (int j = 0; j < m; j++) {
        actions.add(Action.of(ActionType.B, d, j));
      }
      lists.add(actions);
    }
    return new Schedule(request.kind().id(), p, m, Schedule.loopedPlacement(p, 1), lists);
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    return request.microBatchCount();
  }
}
