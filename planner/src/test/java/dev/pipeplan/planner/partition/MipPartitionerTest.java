package dev.pipeplan.planner.partition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.schedule.Partition;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MipPartitionerTest {
  @Test
  void runsBranchAndBoundSequentiallyWithoutGmiCutsAndWithAnExactGap() {
    var strategy = MipPartitioner.exactStrategy();
    // a configuration no cut can meet (a null one makes ojalgo fail when it chooses to cut)
    assertThat(strategy.getGMICutConfiguration()).isNotNull();
    assertThat(strategy.getGMICutConfiguration().fractionality).isGreaterThanOrEqualTo(0.5);
    assertThat(strategy.getGMICutConfiguration().violation)
        .isGreaterThanOrEqualTo(new java.math.BigDecimal("1e300"));
    assertThat(strategy.countUniqueStrategies()).isEqualTo(1);
    assertThat(strategy.getGapTolerance().getPrecision()).isGreaterThanOrEqualTo(16);
  }

  @Test
  void equalsTheDpWhereBothApply() {
    long seed = 57L;
    SplittableRandom random = new SplittableRandom(seed);
    int compared = 0;
    for (int trial = 0; trial < 200; trial++) {
      int devices = random.nextInt(1, 4);
      int layers = random.nextInt(devices, 9);
      PartitionProblem problem =
          RandomProblems.random(random, layers, devices, 1, random.nextBoolean());
      Optional<Partition> dp = MinMaxPartitioner.solve(problem);
      Optional<Partition> mip = MipPartitioner.solve(problem);
      String where = "seed " + seed + " trial " + trial + ": " + problem;
      assertThat(mip.isPresent()).as(where).isEqualTo(dp.isPresent());
      if (dp.isPresent()) {
        compared++;
        assertThat(MipPartitioner.maxLoad(problem, mip.orElseThrow()))
            .as(where)
            .isEqualTo(problem.bottleneckNanos(dp.orElseThrow()));
      }
    }
    assertThat(compared).isGreaterThan(60);
  }

  @Test
  void balancesDeviceLoadsAndSummedMemoryExactlyForChunkedPlacements() {
    long seed = 4242L;
    SplittableRandom random = new SplittableRandom(seed);
    int compared = 0;
    for (int trial = 0; trial < 100; trial++) {
      int devices = random.nextInt(1, 3);
      int layers = random.nextInt(devices * 2, 9);
      PartitionProblem problem = RandomProblems.random(random, layers, devices, 2, false);
      long brute = BruteForcePartitioner.bestDeviceLoad(problem);
      Optional<Partition> mip = MipPartitioner.solve(problem);
      String where = "seed " + seed + " trial " + trial + ": " + problem;
      if (brute == Long.MAX_VALUE) {
        assertThat(mip).as(where).isEmpty();
      } else {
        compared++;
        assertThat(mip).as(where).isPresent();
        assertThat(problem.fits(mip.orElseThrow())).as(where).isTrue();
        assertThat(MipPartitioner.maxLoad(problem, mip.orElseThrow())).as(where).isEqualTo(brute);
      }
    }
    assertThat(compared).isGreaterThan(30);
  }
}
