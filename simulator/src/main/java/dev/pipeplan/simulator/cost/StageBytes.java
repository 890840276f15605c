package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.Checks;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The memory side of one stage's cost for one micro-batch: the bytes of a {@link StageCost} without
 * its durations. Every cost source computes them by the same rules from the model's shapes, the
 * training's memory modes, the partition, b, tp and dp, so stored stage costs can be checked
 * against them whatever priced the durations (a plan file's, for one).
 *
 * @param outputBytes bytes F sends to the next stage
 * @param activationBytes bytes F allocates and the backward frees
 * @param inputGradFreedBytes the part of {@code activationBytes} that I frees
 * @param staticBytes weights, gradients and optimizer state
 * @param workspaceBytes what the stage's backward needs while it runs
 */
public record StageBytes(
    long outputBytes,
    long activationBytes,
    long inputGradFreedBytes,
    long staticBytes,
    long workspaceBytes) {

  public StageBytes {
    Checks.nonNegative("outputBytes", outputBytes);
    Checks.nonNegative("activationBytes", activationBytes);
    Checks.nonNegative("inputGradFreedBytes", inputGradFreedBytes);
    Checks.nonNegative("staticBytes", staticBytes);
    Checks.nonNegative("workspaceBytes", workspaceBytes);
  }

  /** The bytes of a stage cost. */
  public static StageBytes of(StageCost cost) {
    Objects.requireNonNull(cost, "cost");
    return new StageBytes(
        cost.outputBytes(),
        cost.activationBytes(),
        cost.inputGradFreedBytes(),
        cost.staticBytes(),
        cost.workspaceBytes());
  }

  /**
   * The bytes of each stage of a partition of {@code model}, as every cost model computes them.
   *
   * @throws ArithmeticException if a size overflows a long
   */
  public static List<StageBytes> of(
      ModelSpec model,
      TrainingSpec training,
      Partition partition,
      int microBatchSize,
      int tensorParallel,
      int dataParallel) {
    return of(model, training, partition, microBatchSize, tensorParallel, dataParallel, 1);
  }

  /** The bytes of each stage on one rank of a context-parallel group of cp ranks. */
  public static List<StageBytes> of(
      ModelSpec model,
      TrainingSpec training,
      Partition partition,
      int microBatchSize,
      int tensorParallel,
      int dataParallel,
      int contextParallel) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(training, "training");
    Objects.requireNonNull(partition, "partition");
    Checks.positive("micro-batch size", microBatchSize);
    Checks.positive("tensor-parallel degree", tensorParallel);
    Checks.positive("data-parallel degree", dataParallel);
    Checks.positive("context-parallel degree", contextParallel);
    partition.requireCovers(model);
    LayerSums sums = new LayerSums(model);
    List<StageBytes> out = new ArrayList<>(partition.stageCount());
    int first = 0;
    for (int count : partition.layerCounts()) {
      int end = first + count;
      out.add(
          of(
              sums.withMemory(
                  first,
                  end,
                  microBatchSize,
                  tensorParallel,
                  dataParallel,
                  contextParallel,
                  training,
                  0,
                  0,
                  0)));
      first = end;
    }
    return List.copyOf(out);
  }
}
