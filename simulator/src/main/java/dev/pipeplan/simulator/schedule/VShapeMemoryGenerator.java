package dev.pipeplan.simulator.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * V-Half and V-Min (Qi et al., "Pipeline Parallelism with Controllable Memory", 2024): V-placed
 * schedules (device r owns stages r and 2p-1-r) whose activation memory is about a half (V-Half) or
 * a third (V-Min) of 1F1B's. The paper builds them by repeating a building block; pipeplan instead
 * runs {@link CappedGreedyScheduler} on the V placement with the paper's memory as the cap, in
 * (chunk, micro-batch) activation sets, each about half a micro-batch's activations on the device
 * (1F1B holds p micro-batches, that is 2p sets):
 *
 * <ul>
 *   <li>V-Half: cap p + 1 sets, about (p+1)/2 micro-batches;
 *   <li>V-Min: cap ceil(2p/3) + 1 sets (at least 2), about p/3 micro-batches.
 * </ul>
 *
 * <p>The orders are greedy for F = I = W, not the paper's exact blocks, so their bubbles differ;
 * the memory bound holds exactly. Requires v = 2; any m >= 1. The promised in-flight count is the
 * cap (an upper bound).
 */
public final class VShapeMemoryGenerator implements ScheduleGenerator {
  private final ScheduleKind kind;

  /** A generator for {@link ScheduleKind#V_HALF} or {@link ScheduleKind#V_MIN}. */
  public VShapeMemoryGenerator(ScheduleKind kind) {
    if (kind != ScheduleKind.V_HALF && kind != ScheduleKind.V_MIN) {
      throw new IllegalArgumentException(
          "V-shape memory generator serves v-half and v-min, not " + kind.id());
    }
    this.kind = kind;
  }

  @Override
  public Schedule generate(ScheduleRequest request) {
    RequestChecks.requireKind(request, kind);
    RequestChecks.requireVirtualStages(request, 2, " Maybe use --virtual-stages 2.");
    RequestChecks.requireNoGroupSize(request);
    RequestChecks.requireInFlightWithinLimit(request);
    int p = request.deviceCount();
    int m = request.microBatchCount();
    int[] caps = new int[p];
    for (int d = 0; d < p; d++) {
      caps[d] = maxInFlight(request, d);
    }
    List<Integer> placement = Schedule.vShapePlacement(p);
    List<List<Action>> lists = new CappedGreedyScheduler(p, m, placement, caps).build();
    return new Schedule(request.kind().id(), p, m, placement, new ArrayList<>(lists));
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    int p = request.deviceCount();
    if (request.kind() == ScheduleKind.V_HALF) {
      return p + 1;
    }
    return Math.max(2, (2 * p + 2) / 3 + 1);
  }
}
