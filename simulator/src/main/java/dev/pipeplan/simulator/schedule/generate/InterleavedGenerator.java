package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.WorkLimits;
import java.util.ArrayList;
import java.util.List;

/**
 * Interleaved 1F1B (Narayanan et al., SC'21) in Megatron-LM's current form: each device owns v >= 2
 * chunks placed looped (stage c*p + r on device r), and micro-batches go through the chunks in
 * groups of g (the micro-batch group size per virtual stage, default p): for each group, chunk 0
 * for every micro-batch of the group, then chunk 1, and so on; backwards take the chunks in
 * reverse. Device r runs min(2(p-1-r) + (v-1)g, m*v) warm-up forwards, then alternates one forward
 * and one backward, then drains. As in Megatron, g must lie in [p, m], so m >= p. m need not be a
 * multiple of g, but the last, smaller group must still hold at least p micro-batches (m mod g is 0
 * or >= p): with fewer, the drain of the earlier groups waits on a forward of the last group queued
 * behind it, a deadlock. In flight on device r, counted in (chunk, micro-batch) activation sets:
 * min(warm-up + 1, m*v).
 */
public final class InterleavedGenerator implements ScheduleGenerator {
  @Override
  public Schedule generate(ScheduleRequest request) {
    RequestChecks.requireKind(request, ScheduleKind.INTERLEAVED_1F1B);
    check(request);
    RequestChecks.requireInFlightWithinLimit(request);
    int p = request.deviceCount();
    int m = request.microBatchCount();
    int v = request.virtualStages();
    int g = groupSize(request);
    List<List<Action>> lists = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      List<Action> forwards = chunkOrder(ActionType.F, d, p, m, v, g, false);
      List<Action> backwards = chunkOrder(ActionType.B, d, p, m, v, g, true);
      int total = m * v;
      int warmup = warmup(request, d);
      List<Action> actions = new ArrayList<>(2 * total);
      actions.addAll(forwards.subList(0, warmup));
      for (int k = 0; k < total - warmup; k++) {
        actions.add(forwards.get(warmup + k));
        actions.add(backwards.get(k));
      }
      actions.addAll(backwards.subList(total - warmup, total));
      lists.add(actions);
    }
    return new Schedule(request.kind().id(), p, m, Schedule.loopedPlacement(p, v), lists);
  }

  static void check(ScheduleRequest request) {
    int p = request.deviceCount();
    int m = request.microBatchCount();
    if (request.virtualStages() < 2) {
      throw new BadInputException(
          "--virtual-stages ("
              + request.virtualStages()
              + ") must be >= 2 for interleaved. Maybe use 2 or more virtual stages, or schedule kind 1f1b.");
    }
    RequestChecks.requireMinimumMicroBatches(
        request, " (micro-batches go round the devices in groups of at least p)");
    int g = groupSize(request);
    if (g < p || g > m) {
      throw new BadInputException(
          "--group-size ("
              + g
              + ") must lie in [pp, microbatches] = ["
              + p
              + ", "
              + m
              + "] for interleaved. Maybe use --group-size "
              + p
              + ".");
    }
    int last = m % g;
    if (last != 0 && last < p) {
      // one more whole group is offered only where it stays within the work limits
      long oneGroupMore = (long) m - last + g;
      boolean fits =
          oneGroupMore <= WorkLimits.maxMicroBatches(request.kind(), p, request.virtualStages());
      throw new BadInputException(
          "--microbatches ("
              + m
              + ") leave a last group of "
              + last
              + " with group size "
              + g
              + ", below pp ("
              + p
              + ") for interleaved. Maybe use --group-size "
              + m
              + " (one group), or --microbatches "
              + (m - last)
              + (fits ? " or " + oneGroupMore : "")
              + ".");
    }
  }

  /** The micro-batch group size, the request's or p by default. */
  static int groupSize(ScheduleRequest request) {
    return request.groupSize() == 0 ? request.deviceCount() : request.groupSize();
  }

  static int warmup(ScheduleRequest request, int device) {
    int p = request.deviceCount();
    int v = request.virtualStages();
    long warmup = 2L * (p - 1 - device) + (long) (v - 1) * groupSize(request);
    return (int) Math.min(warmup, (long) request.microBatchCount() * v);
  }

  static int maxInFlight(ScheduleRequest request, int device) {
    return Math.min(
        warmup(request, device) + 1, request.microBatchCount() * request.virtualStages());
  }

  /**
   * The chunk-major, group-by-group order of one action type on device d; backwards visit the
   * chunks reversed.
   */
  private static List<Action> chunkOrder(
      ActionType type, int d, int p, int m, int v, int g, boolean reversedChunks) {
    List<Action> order = new ArrayList<>(m * v);
    for (int first = 0; first < m; first += g) {
      int end = Math.min(first + g, m);
      for (int c = 0; c < v; c++) {
        int chunk = reversedChunks ? v - 1 - c : c;
        for (int j = first; j < end; j++) {
          order.add(Action.of(type, chunk * p + d, j));
        }
      }
    }
    return order;
  }
}
