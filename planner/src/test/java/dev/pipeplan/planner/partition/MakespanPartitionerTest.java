package dev.pipeplan.planner.partition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.schedule.Partition;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MakespanPartitionerTest {
  @Test
  void equalsBruteForceOnSeededRandomInstances() {
    long seed = 20261202L;
    SplittableRandom random = new SplittableRandom(seed);
    int feasible = 0;
    int beatsMinMax = 0;
    for (int trial = 0; trial < 1500; trial++) {
      int devices = random.nextInt(1, 5);
      int layers = random.nextInt(devices, 11);
      int microBatches = random.nextInt(1, 12);
      PartitionProblem plain =
          RandomProblems.random(random, layers, devices, 1, random.nextBoolean());
      long[][] cuts = new long[devices - 1][layers];
      for (long[] row : cuts) {
        for (int i = 0; i < layers; i++) {
          row[i] = random.nextInt(0, 120);
        }
      }
      PartitionProblem problem = plain.withCutNanos(cuts);
      long[] brute = {Long.MAX_VALUE};
      BruteForcePartitioner.forEach(
          layers,
          devices,
          p -> {
            for (int s = 0; s < p.stageCount(); s++) {
              if (!problem.stageFits(s, p.firstLayer(s), p.endLayer(s))) {
                return;
              }
            }
            brute[0] =
                Math.min(brute[0], MakespanPartitioner.objectiveNanos(problem, p, microBatches));
          });
      Optional<Partition> dp = MakespanPartitioner.solve(problem, microBatches);
      String where = "seed " + seed + " trial " + trial + " m=" + microBatches + ": " + problem;
      if (brute[0] == Long.MAX_VALUE) {
        assertThat(dp).as(where).isEmpty();
        continue;
      }
      feasible++;
      Partition p = dp.orElseThrow();
      for (int s = 0; s < p.stageCount(); s++) {
        assertThat(problem.stageFits(s, p.firstLayer(s), p.endLayer(s))).as(where).isTrue();
      }
      long objective = MakespanPartitioner.objectiveNanos(problem, p, microBatches);
      assertThat(objective).as(where).isEqualTo(brute[0]);
      long minMax =
          MakespanPartitioner.objectiveNanos(
              problem, MinMaxPartitioner.solve(problem).orElseThrow(), microBatches);
      if (objective < minMax) {
        beatsMinMax++;
      }
    }
    assertThat(feasible).as("feasible instances").isGreaterThan(500);
    assertThat(beatsMinMax)
        .as("instances where the min-max split is not the best")
        .isGreaterThan(50);
  }

  @Test
  void objectiveOfUniformStagesIsTheClosedForm() {
    long[] nanos = {10, 10, 10, 10, 10, 10, 10, 10};
    PartitionProblem problem = PartitionProblem.timeOnly(nanos, 4);
    Partition p = MakespanPartitioner.solve(problem, 6).orElseThrow();
    // (m + p - 1) * t: (6 + 4 - 1) * 20
    assertThat(MakespanPartitioner.objectiveNanos(problem, p, 6)).isEqualTo(180);
    assertThat(p.layerCounts()).containsExactly(2, 2, 2, 2);
  }

  @Test
  void movesABoundaryToTheCheapCutWhenTheBottleneckAllowsIt() {
    // stages of 2 layers are the min-max split; cutting after layer 0 is expensive, after layer 2
    // cheap; with few micro-batches a slightly larger bottleneck pays for the cheaper cut
    long[] nanos = {10, 10, 10, 10};
    long[][] cuts = {{50, 100, 1, 0}};
    PartitionProblem problem = PartitionProblem.timeOnly(nanos, 2).withCutNanos(cuts);
    Partition p = MakespanPartitioner.solve(problem, 2).orElseThrow();
    assertThat(p.layerCounts()).containsExactly(3, 1);
    assertThat(MakespanPartitioner.objectiveNanos(problem, p, 2)).isEqualTo(30 + 40 + 1);
  }
}
