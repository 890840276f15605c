package dev.pipeplan.planner.partition;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The partitions other engines would choose, so that a plan can be compared with them under the
 * same simulator: Megatron-LM's uniform layer counts, DeepSpeed's default parameter-balanced split
 * ({@code partition_method = "parameters"}), and torchgpipe's time-balanced greedy ({@code
 * balance_by_time}).
 */
public final class ReferencePartitioners {
  private ReferencePartitioners() {}

  /** The reference strategies. */
  public enum Strategy {
    /**
     * Megatron-LM: the same number of layers on every stage, earlier stages taking the remainder.
     */
    UNIFORM("uniform (Megatron)"),
    /** DeepSpeed's default: stages with parameter counts as equal as possible. */
    PARAMETERS("parameters (DeepSpeed)"),
    /** torchgpipe's balance_by_time: fill each stage up to an even share of the measured time. */
    TIME_GREEDY("time-greedy (torchgpipe)");

    private final String label;

    Strategy(String label) {
      this.label = label;
    }

    /** How tables print it. */
    public String label() {
      return label;
    }

    public String id() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** The strategy's partition of {@code stageCount} stages. */
  public static Partition partition(
      Strategy strategy, long[] layerNanos, long[] layerParameters, int stageCount) {
    Objects.requireNonNull(strategy, "strategy");
    return switch (strategy) {
      case UNIFORM -> Partition.uniform(layerNanos.length, stageCount);
      case PARAMETERS -> parameterBalanced(layerParameters, stageCount);
      case TIME_GREEDY -> timeBalancedGreedy(layerNanos, stageCount);
    };
  }

  /**
   * Parameter counts balanced: the min-max split of the per-layer parameter counts (layers without
   * parameters weigh nothing), never an empty stage.
   */
  public static Partition parameterBalanced(long[] layerParameters, int stageCount) {
    checkStages(layerParameters.length, stageCount);
    return MinMaxPartitioner.solve(PartitionProblem.timeOnly(layerParameters, stageCount))
        .orElseThrow();
  }

  /**
   * Time-balanced greedy: walk the layers once; close the current stage when adding the next layer
   * would take it further from an even share of the remaining time than stopping here, or when the
   * layers left are only enough for one per remaining stage. Every stage gets at least one layer.
   */
  public static Partition timeBalancedGreedy(long[] layerNanos, int stageCount) {
    int n = layerNanos.length;
    checkStages(n, stageCount);
    long remaining = 0;
    for (long t : layerNanos) {
      remaining += t;
    }
    List<Integer> counts = new ArrayList<>(stageCount);
    int layer = 0;
    for (int s = 0; s < stageCount; s++) {
      int stagesLeft = stageCount - s;
      if (stagesLeft == 1) {
        counts.add(n - layer);
        break;
      }
      double target = (double) remaining / stagesLeft;
      long sum = layerNanos[layer];
      int count = 1;
      layer++;
      while (n - layer > stagesLeft - 1) {
        long with = sum + layerNanos[layer];
        if (Math.abs(with - target) > Math.abs(sum - target) || (sum >= target)) {
          break;
        }
        sum = with;
        count++;
        layer++;
      }
      remaining -= sum;
      counts.add(count);
    }
    return new Partition(counts);
  }

  private static void checkStages(int layerCount, int stageCount) {
    if (stageCount < 1) {
      throw new BadInputException("stage count must be > 0, got " + stageCount);
    }
    if (stageCount > layerCount) {
      throw new BadInputException(
          "stage count ("
              + stageCount
              + ") exceeds the layer count ("
              + layerCount
              + "). Maybe use --pp "
              + layerCount
              + " or fewer.");
    }
  }
}
