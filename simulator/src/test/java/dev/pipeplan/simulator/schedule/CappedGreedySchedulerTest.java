package dev.pipeplan.simulator.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CappedGreedySchedulerTest {
  static final long SEED = 7L;

  static Schedule build(int p, int m, List<Integer> placement, int[] caps) {
    return new Schedule(
        "greedy", p, m, placement, new CappedGreedyScheduler(p, m, placement, caps).build());
  }

  @Test
  void anyCapsOfAtLeastTheStagesPerDeviceGiveValidOrdersWithinTheCaps() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int draw = 0; draw < 400; draw++) {
      int p = 1 + random.nextInt(10);
      int m = 1 + random.nextInt(24);
      boolean v = random.nextBoolean();
      List<Integer> placement = v ? Schedule.vShapePlacement(p) : Schedule.loopedPlacement(p, 1);
      int least = v ? 2 : 1;
      int[] caps = new int[p];
      for (int d = 0; d < p; d++) {
        caps[d] = least + random.nextInt(2 * p + 1);
      }
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
              + Arrays.toString(caps);
      Schedule s = build(p, m, placement, caps);
      assertThat(ScheduleValidator.problems(s)).as(context).isEmpty();
      for (int d = 0; d < p; d++) {
        assertThat(InFlight.peak(s, d)).as(context + " device " + d).isLessThanOrEqualTo(caps[d]);
      }
    }
  }

  @Test
  void withTheZeroBubbleVMemoryItMatchesZeroBubbleVOnFourDevices() {
    int[] caps = new int[4];
    Arrays.fill(caps, 8);
    Schedule greedy = build(4, 16, Schedule.vShapePlacement(4), caps);
    Schedule zbv = ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ZB_V, 4, 16, 2));
    assertThat(StepGrid.of(greedy).stepCount()).isEqualTo(StepGrid.of(zbv).stepCount());
  }

  @Test
  void oneSlotPerDeviceRunsMicroBatchesOneAtATime() {
    Schedule s = build(2, 2, Schedule.loopedPlacement(2, 1), new int[] {1, 1});
    assertThat(s.deviceActions().get(0))
        .containsExactly(
            Action.of(ActionType.F, 0, 0),
            Action.of(ActionType.I, 0, 0),
            Action.of(ActionType.W, 0, 0),
            Action.of(ActionType.F, 0, 1),
            Action.of(ActionType.I, 0, 1),
            Action.of(ActionType.W, 0, 1));
  }
}
