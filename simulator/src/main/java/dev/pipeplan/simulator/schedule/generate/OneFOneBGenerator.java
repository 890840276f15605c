package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * 1F1B (PipeDream-Flush; Narayanan et al., 2021), as Megatron-LM runs it: device r first runs
 * min(p-1-r, m) warm-up forwards, then alternates one forward and one fused backward, then drains
 * the remaining backwards. One stage per device. Any m >= 1 is accepted: with m < p the warm-up
 * covers every micro-batch and the order equals GPipe's. Device r keeps min(p-r, m) micro-batches
 * in flight.
 */
public final class OneFOneBGenerator implements ScheduleGenerator {
  @Override
  public Schedule generate(ScheduleRequest request) {
    RequestChecks.requireOneStagePerDevice(
        request,
        ScheduleKind.ONE_F_ONE_B,
        " Maybe use schedule kind interleaved for more stages per device.");
    int p = request.deviceCount();
    int m = request.microBatchCount();
    List<List<Action>> lists = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      List<Action> actions = new ArrayList<>(2 * m);
      int forwards = 0;
      int warmup = Math.min(p - 1 - d, m);
      while (forwards < warmup) {
        actions.add(Action.of(ActionType.F, d, forwards++));
      }
      for (int j = 0; j < m; j++) {
        if (forwards < m) {
          actions.add(Action.of(ActionType.F, d, forwards++));
        }
        actions.add(Action.of(ActionType.B, d, j));
      }
      lists.add(actions);
    }
    return new Schedule(request.kind().id(), p, m, Schedule.loopedPlacement(p, 1), lists);
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    return Math.min(request.deviceCount() - device, request.microBatchCount());
  }
}
