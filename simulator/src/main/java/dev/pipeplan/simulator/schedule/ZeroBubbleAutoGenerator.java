package dev.pipeplan.simulator.schedule;

import dev.pipeplan.models.BadInputException;
import java.util.List;

/**
 * ZB-AUTO: a memory-limited zero-bubble heuristic in the spirit of Qi et al.'s automatic scheduler
 * (ICLR 2024, section 3), greedy rather than their search: {@link CappedGreedyScheduler} on the
 * looped placement with one stage per device, input-gradient backwards first, forwards while the
 * memory limit admits them, and weight-gradient backwards deferred into what would otherwise be
 * bubbles. The limit is {@code maxInFlightMicroBatches}, or 2p - 1 (ZB-H2's peak, beyond which
 * equal costs gain nothing) when the request gives none. Requires v = 1; any m >= 1 and any limit
 * >= 1 (a limit of 1 runs one micro-batch at a time on each device). The promised in-flight count
 * is the limit (an upper bound).
 */
public final class ZeroBubbleAutoGenerator implements ScheduleGenerator {
  @Override
  public Schedule generate(ScheduleRequest request) {
    RequestChecks.requireKind(request, ScheduleKind.ZB_AUTO);
    RequestChecks.requireVirtualStages(
        request, 1, " Maybe use schedule kind v-half or v-min for a V with a memory cap.");
    RequestChecks.requireNoGroupSize(request);
    int p = request.deviceCount();
    int m = request.microBatchCount();
    int[] caps = new int[p];
    for (int d = 0; d < p; d++) {
      caps[d] = maxInFlight(request, d);
    }
    List<Integer> placement = Schedule.loopedPlacement(p, 1);
    return new Schedule(
        request.kind().id(),
        p,
        m,
        placement,
        new CappedGreedyScheduler(p, m, placement, caps).build());
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    int limit = request.maxInFlightMicroBatches();
    if (limit < 0) {
      throw new BadInputException("max in-flight micro-batches must be >= 0, got " + limit);
    }
    return limit == 0 ? 2 * request.deviceCount() - 1 : limit;
  }
}
