package dev.pipeplan.simulator.engine;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.schedule.ActionCosts;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns stage costs into the {@link ActionCosts} a cost-aware schedule generator plans with: F, I
 * and W per stage, and the hand-off time in front of each F and I under a stage placement, computed
 * as the simulator computes it ({@link StageCosts#handOffNanos}: the output's bytes over the link,
 * 0 on one device; the receivers' gather of a scattered hand-off is in the receiving F and I). The
 * schedule package cannot read stage costs itself (the cost package already depends on it), so
 * callers convert here.
 */
public final class GeneratorCosts {
  private GeneratorCosts() {}

  /** The generator's view of {@code costs} for stages placed by {@code stageToDevice}. */
  public static ActionCosts of(StageCosts costs, List<Integer> stageToDevice) {
    Objects.requireNonNull(costs, "costs");
    Objects.requireNonNull(stageToDevice, "stageToDevice");
    int stages = costs.stageCount();
    if (stageToDevice.size() != stages) {
      throw new BadInputException(
          "stage costs describe "
              + stages
              + " stages but the placement has "
              + stageToDevice.size()
              + ". Maybe the partition has a different stage count than pp*v.");
    }
    List<Long> f = new ArrayList<>(stages);
    List<Long> i = new ArrayList<>(stages);
    List<Long> w = new ArrayList<>(stages);
    List<Long> intoF = new ArrayList<>(stages);
    List<Long> intoI = new ArrayList<>(stages);
    for (int s = 0; s < stages; s++) {
      StageCost c = costs.stage(s);
      int device = stageToDevice.get(s);
      int before = s == 0 ? device : stageToDevice.get(s - 1);
      int after = s + 1 == stages ? device : stageToDevice.get(s + 1);
      // a scattered hand-off's gather is work on the receiving device, as the simulator counts it
      f.add(c.forwardNanos() + (s == 0 ? 0L : costs.gatherNanos(s - 1, before, device)));
      i.add(c.backwardInputNanos() + (s + 1 == stages ? 0L : costs.gatherNanos(s, after, device)));
      w.add(c.backwardWeightNanos());
      intoF.add(s == 0 ? 0L : costs.handOffNanos(s - 1, before, device));
      intoI.add(s + 1 == stages ? 0L : costs.handOffNanos(s, after, device));
    }
    return new ActionCosts(f, i, w, intoF, intoI);
  }

  /**
   * The request a schedule priced with {@code costs} is generated from: for the kinds that order by
   * costs ({@link ScheduleRequest#kind()}{@code .plansWithCosts()}), {@code request} with these
   * costs; for the others, {@code request} as it is. The planner, a plan file and {@code simulate}
   * all ask here, so that they generate the same order.
   */
  public static ScheduleRequest forCosts(
      ScheduleRequest request, StageCosts costs, List<Integer> stageToDevice) {
    Objects.requireNonNull(request, "request");
    return request.kind().plansWithCosts() ? request.withCosts(of(costs, stageToDevice)) : request;
  }
}
