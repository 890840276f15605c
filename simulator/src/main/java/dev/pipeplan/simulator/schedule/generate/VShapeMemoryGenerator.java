package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * V-Half and V-Min (Qi et al., "Pipeline Parallelism with Controllable Memory", NeurIPS 2024): V
 * placement (device r owns stages r and 2p-1-r) under the paper's activation memory, counted in
 * (chunk, micro-batch) activation sets from F to W, each half of a 1F1B micro-batch's activations
 * on the device (1F1B holds p micro-batches, 2p sets):
 *
 * <ul>
 *   <li>V-Half: p + 2 sets, (p+2)/2 micro-batches;
 *   <li>V-Min: ceil(2(p+4)/3) sets, (p+4)/3 micro-batches.
 * </ul>
 *
 * <p>The schedule comes from the paper's V-shaped building block, repeated: {@link
 * VShapeBlockScheduler} lays out the tightest collision-free block with the request's costs (unit
 * costs when none are given) and orders the repeated passes; with T_F = T_B = T_W its lifespan on
 * every device is within V-Min's memory and its bubble about 2p/3m. The block's order, the capped
 * list scheduler's orders ({@link CostAwareListScheduler}) and then {@link OrderRefiner} within the
 * kind's cap are compared by exact timing ({@link CostAwareSearch}); the refiner reorders the
 * warm-up and cool-down, where memory is below its peak, which is how the paper's V-Half gets its
 * smaller bubble (about p/2m) from its larger memory. Results are memoised per request (p, m and
 * costs). Requires v = 2; any m >= 1. The promised in-flight count is the cap (an upper bound).
 */
public final class VShapeMemoryGenerator implements ScheduleGenerator {
  private static final ScheduleMemo MEMO = new ScheduleMemo();

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
    return MEMO.get(request, VShapeMemoryGenerator::search);
  }

  private static Schedule search(ScheduleRequest request) {
    int p = request.deviceCount();
    int m = request.microBatchCount();
    int[] caps = new int[p];
    for (int d = 0; d < p; d++) {
      caps[d] = maxInFlight(request, d);
    }
    List<Integer> placement = Schedule.vShapePlacement(p);
    SplitBackwardProblem problem =
        new SplitBackwardProblem(
            p, m, placement, request.costs(), caps, request.optimizerPostValidation());
    VShapeBlockScheduler blocks = new VShapeBlockScheduler(problem);
    List<int[][]> references = new ArrayList<>();
    references.add(blocks.build(0, 0));

    int[][] orders =
        CostAwareSearch.best(problem, references, CostAwareSearch.V_REFINE_BUDGET_ACTIONS);
    return new Schedule(request.kind().id(), p, m, placement, problem.toActions(orders));
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    int p = request.deviceCount();
    if (request.kind() == ScheduleKind.V_HALF) {
      return p + 2;
    }
    return (2 * p + 10) / 3;
  }
}
