package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.List;

/**
 * ZB-AUTO: Qi et al.'s automatic zero-bubble scheduling ("Zero Bubble Pipeline Parallelism", ICLR
 * 2024, section 3 and appendix) on the looped placement with one stage per device, with the real
 * per-stage F, I, W and transfer times of {@link ScheduleRequest#costs()} (F = I = W = 1 when none
 * are given) and a memory limit of {@code maxInFlightMicroBatches} micro-batch activations per
 * device (2p - 1, ZB-H2's peak, when the request gives none). {@link CostAwareListScheduler} builds
 * candidate orders (warm-up forwards up to the memory limit, I before F before W, W's placed where
 * they fit the gaps the transfers and unequal stages leave), ZB-H1 and ZB-H2 join as candidates
 * when they fit the limit, every candidate is timed exactly, and {@link OrderRefiner} improves the
 * fastest. So with the limit at or above 2p - 1 zb-auto is never slower than zb-h2 under the same
 * costs. Results are memoised per request. Requires v = 1; any m >= 1 and any limit >= 1. The
 * promised in-flight count is the limit (an upper bound).
 */
public final class ZeroBubbleAutoGenerator implements ScheduleGenerator {
  private static final ScheduleMemo MEMO = new ScheduleMemo();

  @Override
  public Schedule generate(ScheduleRequest request) {
    RequestChecks.requireKind(request, ScheduleKind.ZB_AUTO);
    RequestChecks.requireVirtualStages(
        request, 1, " Maybe use schedule kind v-half or v-min for a V with a memory cap.");
    RequestChecks.requireNoGroupSize(request);
    return MEMO.get(request, ZeroBubbleAutoGenerator::search);
  }

  private static Schedule search(ScheduleRequest request) {
    int p = request.deviceCount();
    int m = request.microBatchCount();
    int[] caps = new int[p];
    for (int d = 0; d < p; d++) {
      caps[d] = maxInFlight(request, d);
    }
    List<Integer> placement = Schedule.loopedPlacement(p, 1);
    SplitBackwardProblem problem =
        new SplitBackwardProblem(
            p, m, placement, request.costs(), caps, request.optimizerPostValidation());
    List<int[][]> references =
        List.of(
            problem.fromActions(
                new ZeroBubbleH1Generator()
                    .generate(ScheduleRequest.of(ScheduleKind.ZB_H1, p, m, 1))
                    .deviceActions()),
            problem.fromActions(
                new ZeroBubbleH2Generator()
                    .generate(ScheduleRequest.of(ScheduleKind.ZB_H2, p, m, 1))
                    .deviceActions()));
    int[][] orders =
        CostAwareSearch.best(problem, references, CostAwareSearch.ZB_REFINE_BUDGET_ACTIONS);
    return new Schedule(request.kind().id(), p, m, placement, problem.toActions(orders));
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    int limit = request.maxInFlightMicroBatches();
    if (limit < 0) {
      throw new BadInputException("max in-flight micro-batches must be >= 0, got " + limit);
    }
    return limit == 0 ? 2 * request.deviceCount() - 1 : limit;
  }
}
