package dev.pipeplan.planner.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.engine.GeneratorCosts;
import dev.pipeplan.simulator.engine.Simulator;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.check.InFlight;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * zb-auto against the exact MIP ({@link ZeroBubbleMip}) on every case small enough to solve in a
 * test: p = 2..4 with m up to 5, 4 and 3, seeded unequal F, I, W and transfer times, each with the
 * default memory limit (2p - 1) and with a limit of p. The heuristic must be within 1% of the
 * certified optimum; where m <= 3 the optimum is also found from a loose start (the serial time),
 * independently of the heuristic, and must not be beaten by it.
 */
class ZeroBubbleMipTest {
  static final long SEED = 20241202L;

  @Test
  void zbAutoIsWithinOnePercentOfTheMipOptimumAndNeverBeatsIt() {
    SplittableRandom random = new SplittableRandom(SEED);
    int cases = 0;
    for (int p = 2; p <= 4; p++) {
      int largestM = p == 2 ? 5 : p == 3 ? 4 : 3;
      for (int m = 2; m <= largestM; m++) {
        for (int draw = 0; draw < 4; draw++) {
          // Draws 0 and 1: wide costs (often one stage bounds the pipeline); 2 and 3: near-equal
          // costs, where the order matters most.
          boolean wide = draw < 2;
          List<StageCost> stages = new ArrayList<>();
          long serial = 0;
          for (int s = 0; s < p; s++) {
            long f = wide ? 5 + random.nextInt(16) : 9 + random.nextInt(3);
            long i = wide ? 5 + random.nextInt(16) : 9 + random.nextInt(4);
            long w = wide ? 3 + random.nextInt(16) : 7 + random.nextInt(5);
            long comm = random.nextInt(wide ? 4 : 3);
            // outputBytes carries the transfer time: the link below maps bytes to nanoseconds.
            stages.add(new StageCost(f, i, w, comm, 0, 0, 0));
            serial += m * (f + i + w + 2 * comm);
          }
          StageCosts costs = new StageCosts(stages, (from, to, bytes) -> bytes);
          int limit = draw % 2 == 0 ? 0 : p;
          int cap = limit == 0 ? 2 * p - 1 : limit;
          String context =
              "seed " + SEED + " p=" + p + " m=" + m + " draw " + draw + " costs " + stages;
          Schedule heuristic =
              ScheduleGenerators.generate(
                  new ScheduleRequest(ScheduleKind.ZB_AUTO, p, m, 1, 0, limit)
                      .withCosts(GeneratorCosts.of(costs, Schedule.loopedPlacement(p, 1))));
          assertThat(InFlight.peakPerDevice(heuristic)).as(context).allMatch(n -> n <= cap);
          long found = Simulator.metrics(heuristic, costs).iterationNanos();
          long optimum = new ZeroBubbleMip(p, m, cap, costs).optimumNanos(found);
          assertThat(optimum).as(context).isLessThanOrEqualTo(found);
          assertThat((double) found).as(context).isLessThanOrEqualTo(1.01 * optimum);
          if (m <= 3) {
            long independent = new ZeroBubbleMip(p, m, cap, costs).optimumNanos(serial + 1);
            assertThat(independent).as(context).isEqualTo(optimum);
          }
          cases++;
        }
      }
    }
    assertThat(cases).isEqualTo(4 * (4 + 3 + 2));
  }
}
