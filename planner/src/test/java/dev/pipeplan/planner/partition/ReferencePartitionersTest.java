package dev.pipeplan.planner.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReferencePartitionersTest {
  @Test
  void uniformSplitsLikeMegatron() {
    assertThat(
            ReferencePartitioners.partition(
                    ReferencePartitioners.Strategy.UNIFORM, new long[10], new long[10], 4)
                .layerCounts())
        .containsExactly(3, 3, 2, 2);
  }

  @Test
  void parameterBalancedIgnoresLayersWithoutParametersButNeverEmptiesAStage() {
    long[] params = {100, 0, 0, 100, 0, 100, 0, 100};
    Partition p = ReferencePartitioners.parameterBalanced(params, 4);
    assertThat(p.layerCounts()).allMatch(c -> c >= 1);
    int first = 0;
    for (int s = 0; s < 4; s++) {
      long sum = 0;
      for (int i = first; i < first + p.layerCounts().get(s); i++) {
        sum += params[i];
      }
      assertThat(sum).isEqualTo(100);
      first += p.layerCounts().get(s);
    }
  }

  @Test
  void timeGreedyGivesEqualLayersEqualShares() {
    long[] nanos = {7, 7, 7, 7, 7, 7};
    assertThat(ReferencePartitioners.timeBalancedGreedy(nanos, 3).layerCounts())
        .containsExactly(2, 2, 2);
  }

  @Test
  void timeGreedyAlwaysCoversEveryLayerWithNonEmptyStages() {
    SplittableRandom random = new SplittableRandom(7);
    for (int trial = 0; trial < 2000; trial++) {
      int layers = random.nextInt(1, 20);
      int stages = random.nextInt(1, layers + 1);
      long[] nanos = new long[layers];
      for (int i = 0; i < layers; i++) {
        nanos[i] = random.nextInt(0, 1000);
      }
      Partition p = ReferencePartitioners.timeBalancedGreedy(nanos, stages);
      assertThat(p.stageCount()).as("trial " + trial).isEqualTo(stages);
      assertThat(p.layerCount()).as("trial " + trial).isEqualTo(layers);
    }
  }

  @Test
  void greedyIsNeverBetterThanTheDp() {
    SplittableRandom random = new SplittableRandom(11);
    for (int trial = 0; trial < 1000; trial++) {
      int layers = random.nextInt(2, 16);
      int stages = random.nextInt(1, Math.min(layers, 6) + 1);
      long[] nanos = new long[layers];
      for (int i = 0; i < layers; i++) {
        nanos[i] = random.nextInt(1, 1000);
      }
      PartitionProblem problem = PartitionProblem.timeOnly(nanos, stages);
      long dp = problem.bottleneckNanos(MinMaxPartitioner.solve(problem).orElseThrow());
      long greedy =
          problem.bottleneckNanos(ReferencePartitioners.timeBalancedGreedy(nanos, stages));
      assertThat(dp).as("trial " + trial).isLessThanOrEqualTo(greedy);
    }
  }

  @Test
  void rejectsMoreStagesThanLayers() {
    assertThatThrownBy(() -> ReferencePartitioners.timeBalancedGreedy(new long[3], 4))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("stage count (4) exceeds the layer count (3)");
  }
}
