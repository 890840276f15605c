package dev.pipeplan.planner.partition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.schedule.Partition;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ChunkPartitionerTest {
  @Test
  void neverWorseThanTheMinMaxChunkSplitAndFitsWhatItReturns() {
    long seed = 20261202L;
    SplittableRandom random = new SplittableRandom(seed);
    int balancedBetter = 0;
    int rescued = 0;
    int checked = 0;
    for (int trial = 0; trial < 1500; trial++) {
      int devices = random.nextInt(2, 4);
      int v = random.nextInt(2, 4);
      int layers = random.nextInt(devices * v, 13);
      PartitionProblem problem =
          RandomProblems.random(random, layers, devices, v, random.nextBoolean());
      String where = "seed " + seed + " trial " + trial + ": " + problem;
      Optional<Partition> dp = MinMaxPartitioner.solve(problem);
      Optional<Partition> local = ChunkPartitioner.solve(problem);
      local.ifPresent(p -> assertThat(problem.fits(p)).as(where).isTrue());
      if (dp.isPresent() && problem.fits(dp.get())) {
        checked++;
        assertThat(local).as(where).isPresent();
        long dpLoad = MipPartitioner.maxLoad(problem, dp.get());
        long localLoad = MipPartitioner.maxLoad(problem, local.get());
        assertThat(localLoad).as(where).isLessThanOrEqualTo(dpLoad);
        assertThat(localLoad)
            .as(where)
            .isGreaterThanOrEqualTo(BruteForcePartitioner.bestDeviceLoad(problem));
        if (localLoad < dpLoad) {
          balancedBetter++;
        }
      } else if (local.isPresent()) {
        rescued++;
      }
    }
    assertThat(checked).as("instances where the chunk DP fits").isGreaterThan(300);
    assertThat(balancedBetter).as("device loads better than the chunk DP's").isGreaterThan(30);
    assertThat(rescued).as("fitting partitions the chunk DP misses").isGreaterThan(5);
  }
}
