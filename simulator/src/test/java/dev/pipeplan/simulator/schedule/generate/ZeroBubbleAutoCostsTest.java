package dev.pipeplan.simulator.schedule.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.engine.GeneratorCosts;
import dev.pipeplan.simulator.engine.Simulator;
import dev.pipeplan.simulator.schedule.ActionCosts;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.check.InFlight;
import dev.pipeplan.simulator.schedule.check.ScheduleValidator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * zb-auto with real, unequal costs: valid, within its limit, exactly timed, never behind ZB-H1/H2.
 */
class ZeroBubbleAutoCostsTest {
  static final long SEED = 20241203L;

  /** Unequal stage costs around 1000 ns, transfers up to 100 ns (bytes = nanoseconds). */
  static StageCosts randomCosts(SplittableRandom random, int stages) {
    List<StageCost> list = new ArrayList<>();
    for (int s = 0; s < stages; s++) {
      long f = 800 + random.nextInt(400);
      long i = f + random.nextInt(300);
      long w = 400 + random.nextInt(700);
      list.add(new StageCost(f, i, w, random.nextInt(101), 0, 0, 0));
    }
    return new StageCosts(list, (from, to, bytes) -> bytes);
  }

  @Test
  void neverSlowerThanZbH1OrZbH2UnderTheSameCostsAndKeepsItsLimit() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int draw = 0; draw < 60; draw++) {
      int p = 2 + random.nextInt(9);
      int m = 1 + random.nextInt(4 * p);
      int limit = random.nextInt(3) == 0 ? p : 0;
      StageCosts costs = randomCosts(random, p);
      String context = "seed " + SEED + " draw " + draw + " p=" + p + " m=" + m + " limit=" + limit;
      Schedule auto =
          ScheduleGenerators.generate(
              new ScheduleRequest(ScheduleKind.ZB_AUTO, p, m, 1, 0, limit)
                  .withCosts(GeneratorCosts.of(costs, Schedule.loopedPlacement(p, 1))));
      assertThat(ScheduleValidator.problems(auto)).as(context).isEmpty();
      int cap = limit == 0 ? 2 * p - 1 : limit;
      assertThat(InFlight.peakPerDevice(auto)).as(context).allMatch(n -> n <= cap);
      long autoNanos = Simulator.metrics(auto, costs).iterationNanos();
      long h1 =
          Simulator.metrics(
                  ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ZB_H1, p, m, 1)),
                  costs)
              .iterationNanos();
      assertThat(autoNanos).as(context + " vs zb-h1").isLessThanOrEqualTo(h1);
      if (limit == 0) {
        long h2 =
            Simulator.metrics(
                    ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ZB_H2, p, m, 1)),
                    costs)
                .iterationNanos();
        assertThat(autoNanos).as(context + " vs zb-h2").isLessThanOrEqualTo(h2);
      }
    }
  }

  @Test
  void itsOwnTimingEqualsTheSimulatorsForEveryCandidateOrder() {
    SplittableRandom random = new SplittableRandom(SEED + 1);
    for (int draw = 0; draw < 20; draw++) {
      int p = 2 + random.nextInt(6);
      int m = 1 + random.nextInt(3 * p);
      boolean v = random.nextBoolean();
      List<Integer> placement = v ? Schedule.vShapePlacement(p) : Schedule.loopedPlacement(p, 1);
      StageCosts costs = randomCosts(random, placement.size());
      int[] caps = new int[p];
      Arrays.fill(caps, v ? 2 * p : 2 * p - 1);
      SplitBackwardProblem problem =
          new SplitBackwardProblem(p, m, placement, GeneratorCosts.of(costs, placement), caps);
      List<int[][]> orders = new ArrayList<>();
      for (CostAwareListScheduler.Policy policy : CostAwareListScheduler.Policy.all()) {
        orders.add(new CostAwareListScheduler(problem).build(policy));
      }
      if (!v) {
        for (ZeroBubbleSweepScheduler.Variant variant : ZeroBubbleSweepScheduler.Variant.all()) {
          orders.add(new ZeroBubbleSweepScheduler(problem).build(variant));
        }
      }
      for (int[][] order : orders) {
        Schedule s = new Schedule("candidate", p, m, placement, problem.toActions(order));
        assertThat(ScheduleValidator.problems(s)).isEmpty();
        assertThat(problem.makespan(order))
            .as("seed " + (SEED + 1) + " draw " + draw)
            .isEqualTo(Simulator.metrics(s, costs).iterationNanos());
        assertThat(problem.makespan(order)).isGreaterThanOrEqualTo(problem.lowerBound());
      }
    }
  }

  @Test
  void equalRequestsGiveEqualSchedulesAndCostsDefaultToUnspecified() {
    StageCosts skewed = randomCosts(new SplittableRandom(SEED + 2), 6);
    ActionCosts costs = GeneratorCosts.of(skewed, Schedule.loopedPlacement(6, 1));
    ScheduleRequest request = ScheduleRequest.of(ScheduleKind.ZB_AUTO, 6, 18, 1).withCosts(costs);
    assertThat(ScheduleGenerators.generate(request))
        .isEqualTo(ScheduleGenerators.generate(request.withCosts(costs)));
    assertThat(request.costs().specified()).isTrue();
    assertThat(ScheduleRequest.of(ScheduleKind.ZB_AUTO, 6, 18, 1).costs())
        .isEqualTo(ActionCosts.UNSPECIFIED);
  }
}
