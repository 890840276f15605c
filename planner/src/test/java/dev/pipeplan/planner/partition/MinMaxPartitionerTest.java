package dev.pipeplan.planner.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MinMaxPartitionerTest {
  @Test
  void equalsBruteForceOnThousandsOfSeededInstances() {
    long seed = 20261125L;
    SplittableRandom random = new SplittableRandom(seed);
    int feasible = 0;
    for (int trial = 0; trial < 4000; trial++) {
      int v = random.nextInt(1, 3);
      int devices = random.nextInt(1, 4);
      int layers = random.nextInt(devices * v, 10);
      if (layers == 0) {
        continue;
      }
      PartitionProblem problem =
          RandomProblems.random(random, layers, devices, v, random.nextBoolean());
      Optional<Partition> dp = MinMaxPartitioner.solve(problem);
      long brute = BruteForcePartitioner.bestBottleneck(problem);
      String where = "seed " + seed + " trial " + trial + ": " + problem;
      if (brute == Long.MAX_VALUE) {
        assertThat(dp).as(where).isEmpty();
        continue;
      }
      feasible++;
      assertThat(dp).as(where).isPresent();
      Partition p = dp.orElseThrow();
      assertThat(p.layerCount()).as(where).isEqualTo(layers);
      assertThat(p.layerCounts()).as(where).allMatch(c -> c >= 1);
      assertThat(problem.bottleneckNanos(p)).as(where).isEqualTo(brute);
      for (int s = 0; s < p.stageCount(); s++) {
        assertThat(problem.stageFits(s, p.firstLayer(s), p.endLayer(s))).as(where).isTrue();
      }
    }
    assertThat(feasible).as("enough feasible instances to mean something").isGreaterThan(1000);
  }

  @Test
  void prunedScanGivesTheSamePartitionAsTheGenericScan() {
    long seed = 20261203L;
    SplittableRandom random = new SplittableRandom(seed);
    for (int trial = 0; trial < 3000; trial++) {
      int v = random.nextInt(1, 3);
      int devices = random.nextInt(1, 5);
      int layers = random.nextInt(devices * v, 16);
      PartitionProblem problem =
          RandomProblems.random(random, layers, devices, v, random.nextBoolean());
      Optional<Partition> generic =
          MinMaxPartitioner.solve(
              problem,
              (stage, first, end) ->
                  problem.stageFits(stage, first, end)
                      ? problem.stageNanos(stage, first, end)
                      : Long.MAX_VALUE);
      assertThat(MinMaxPartitioner.solve(problem))
          .as("seed " + seed + " trial " + trial + ": " + problem)
          .isEqualTo(generic);
    }
  }

  @Test
  void balancesUniformLayersEvenly() {
    long[] nanos = {10, 10, 10, 10, 10, 10, 10, 10};
    Partition p = MinMaxPartitioner.solve(PartitionProblem.timeOnly(nanos, 4)).orElseThrow();
    assertThat(p.layerCounts()).containsExactly(2, 2, 2, 2);
  }

  @Test
  void givesTheHeavyHeadItsOwnStage() {
    long[] nanos = {5, 10, 10, 10, 10, 10, 10, 40};
    PartitionProblem problem = PartitionProblem.timeOnly(nanos, 3);
    Partition p = MinMaxPartitioner.solve(problem).orElseThrow();
    assertThat(problem.bottleneckNanos(p)).isEqualTo(40);
    assertThat(p.layerCounts().get(2)).isEqualTo(1);
  }

  @Test
  void neverLeavesAStageEmptyEvenWhenLayersCostNothing() {
    long[] nanos = {0, 0, 0, 100, 0, 0};
    Partition p = MinMaxPartitioner.solve(PartitionProblem.timeOnly(nanos, 6)).orElseThrow();
    assertThat(p.layerCounts()).containsExactly(1, 1, 1, 1, 1, 1);
  }

  @Test
  void givesTheFasterDeviceMoreLayers() {
    long[] nanos = {10, 10, 10, 10, 10, 10};
    PartitionProblem problem =
        PartitionProblem.of(
            nanos,
            new long[6],
            new long[6],
            new int[] {0, 1},
            new double[] {1.0, 0.5},
            new long[] {Long.MAX_VALUE, Long.MAX_VALUE},
            new int[2]);
    Partition p = MinMaxPartitioner.solve(problem).orElseThrow();
    assertThat(p.layerCounts()).containsExactly(4, 2);
    assertThat(problem.bottleneckNanos(p)).isEqualTo(40);
  }

  @Test
  void leastOverMemoryFindsTheClosestSplitWhenNothingFits() {
    long[] nanos = {1, 1, 1, 1};
    long[] stat = {10, 10, 10, 10};
    PartitionProblem problem =
        PartitionProblem.of(
            nanos,
            stat,
            new long[4],
            new int[] {0, 1},
            new double[] {1, 1},
            new long[] {15, 15},
            new int[2]);
    assertThat(MinMaxPartitioner.solve(problem)).isEmpty();
    Partition closest = MinMaxPartitioner.leastOverMemory(problem);
    assertThat(closest.layerCounts()).containsExactly(2, 2);
  }

  @Test
  void leastOverMemoryMatchesTheGeneralDpOnRandomProblems() {
    SplittableRandom random = new SplittableRandom(17);
    for (int trial = 0; trial < 400; trial++) {
      int devices = 1 + random.nextInt(4);
      PartitionProblem problem =
          RandomProblems.random(
              random, devices * 2 + random.nextInt(12), devices, 1 + random.nextInt(2), false);
      MinMaxPartitioner.StageCostFunction overshoot =
          (stage, first, end) ->
              problem.stageMemoryBytes(stage, first, end)
                  - problem.deviceMemoryBytes(problem.deviceOf(stage));
      long dp =
          worst(problem, MinMaxPartitioner.solve(problem, overshoot).orElseThrow(), overshoot);
      Partition fast = MinMaxPartitioner.leastOverMemory(problem);
      assertThat(fast.layerCounts().stream().mapToInt(Integer::intValue).sum())
          .isEqualTo(problem.layerCount());
      assertThat(fast.layerCounts()).allMatch(c -> c >= 1);
      assertThat(worst(problem, fast, overshoot)).as("trial %d", trial).isEqualTo(dp);
    }
  }

  private static long worst(
      PartitionProblem problem, Partition p, MinMaxPartitioner.StageCostFunction cost) {
    long worst = Long.MIN_VALUE;
    int first = 0;
    for (int s = 0; s < p.stageCount(); s++) {
      int end = first + p.layerCounts().get(s);
      worst = Math.max(worst, cost.cost(s, first, end));
      first = end;
    }
    return worst;
  }

  @Test
  void layersWhoseSumsOverflowAreRefusedAsTooLargeToPlan() {
    long half = Long.MAX_VALUE / 2 + 1;
    assertThatThrownBy(
            () ->
                PartitionProblem.of(
                    new long[] {1, 1},
                    new long[] {half, half},
                    new long[2],
                    new int[] {0},
                    new double[] {1},
                    new long[] {Long.MAX_VALUE},
                    new int[1]))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("bytes of weights and optimizer state")
        .hasMessageContaining("first 2 of 2")
        .hasMessageContaining("too large to plan");
  }
}
