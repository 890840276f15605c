package dev.pipeplan.simulator.schedule.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionCosts;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.check.InFlight;
import dev.pipeplan.simulator.schedule.check.ScheduleValidator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The capped list scheduler never deadlocks and keeps every cap, whatever the caps (at least the
 * stages per device), the placement (looped or V), the costs and the policy.
 */
class CostAwareListSchedulerTest {
  static final long SEED = 7L;

  @Test
  void anyCapsOfAtLeastTheStagesPerDeviceGiveValidOrdersWithinTheCaps() {
    SplittableRandom random = new SplittableRandom(SEED);
    CostAwareListScheduler.Policy[] policies = CostAwareListScheduler.Policy.all();
    for (int draw = 0; draw < 300; draw++) {
      int p = 1 + random.nextInt(10);
      int m = 1 + random.nextInt(24);
      boolean v = random.nextBoolean();
      List<Integer> placement = v ? Schedule.vShapePlacement(p) : Schedule.loopedPlacement(p, 1);
      int least = v ? 2 : 1;
      int[] caps = new int[p];
      for (int d = 0; d < p; d++) {
        caps[d] = least + random.nextInt(2 * p + 1);
      }
      List<Long> f = new ArrayList<>();
      List<Long> i = new ArrayList<>();
      List<Long> w = new ArrayList<>();
      List<Long> intoF = new ArrayList<>();
      List<Long> intoI = new ArrayList<>();
      for (int s = 0; s < placement.size(); s++) {
        f.add(1L + random.nextInt(20));
        i.add(1L + random.nextInt(20));
        w.add((long) random.nextInt(20));
        intoF.add((long) random.nextInt(4));
        intoI.add((long) random.nextInt(4));
      }
      ActionCosts costs = new ActionCosts(f, i, w, intoF, intoI);
      CostAwareListScheduler.Policy policy = policies[random.nextInt(policies.length)];
      String context =
          "seed "
              + SEED
              + " draw "
              + draw
              + ": p="
              + p
              + " m="
              + m
              + " v-shape="
              + v
              + " caps="
              + Arrays.toString(caps)
              + " "
              + policy;
      SplitBackwardProblem problem = new SplitBackwardProblem(p, m, placement, costs, caps);
      int[][] orders = new CostAwareListScheduler(problem).build(policy);
      Schedule s = new Schedule("list", p, m, placement, problem.toActions(orders));
      assertThat(ScheduleValidator.problems(s)).as(context).isEmpty();
      for (int d = 0; d < p; d++) {
        assertThat(InFlight.peak(s, d)).as(context + " device " + d).isLessThanOrEqualTo(caps[d]);
      }
    }
  }

  @Test
  void oneSlotPerDeviceRunsMicroBatchesOneAtATime() {
    SplitBackwardProblem problem =
        new SplitBackwardProblem(
            2, 2, Schedule.loopedPlacement(2, 1), ActionCosts.UNSPECIFIED, new int[] {1, 1});
    int[][] orders =
        new CostAwareListScheduler(problem)
            .build(new CostAwareListScheduler.Policy(false, false, false));
    assertThat(problem.toActions(orders).get(0))
        .containsExactly(
            Action.of(ActionType.F, 0, 0),
            Action.of(ActionType.I, 0, 0),
            Action.of(ActionType.W, 0, 0),
            Action.of(ActionType.F, 0, 1),
            Action.of(ActionType.I, 0, 1),
            Action.of(ActionType.W, 0, 1));
  }
}
