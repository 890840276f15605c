package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.Checks;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The receivers' gather of each stage's hand-off ({@link StageCost#handOffGatherNanos}), by the
 * rule every cost source prices it with: it depends only on the model, the training's hand-off
 * mode, the partition, b, tp, cp and the node's link, never on measured layer times, so a plan's
 * reader can check the stored values whatever priced the stages.
 */
public final class HandOffGathers {
  private HandOffGathers() {}

  /** Per stage of {@code partition}, its hand-off's gather; 0 for the last stage. */
  public static List<Long> of(
      ModelSpec model,
      TrainingSpec training,
      Partition partition,
      int microBatchSize,
      int tensorParallel,
      int contextParallel,
      LinkSpec link) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(training, "training");
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(link, "link");
    Checks.positive("micro-batch size", microBatchSize);
    Checks.positive("tensor-parallel degree", tensorParallel);
    Checks.positive("context-parallel degree", contextParallel);
    partition.requireCovers(model);
    long[] after =
        afterEachLayer(model, training, microBatchSize, tensorParallel, contextParallel, link);
    List<Long> out = new ArrayList<>(partition.stageCount());
    int end = 0;
    for (int count : partition.layerCounts()) {
      end += count;
      out.add(after[end - 1]);
    }
    return List.copyOf(out);
  }

  /**
   * Per layer i, the gather of a stage that ends with it (0 for the last layer): what a cut after
   * layer i costs each receiver, for a partitioner choosing where to cut.
   */
  public static long[] afterEachLayer(
      ModelSpec model,
      TrainingSpec training,
      int microBatchSize,
      int tensorParallel,
      int contextParallel,
      LinkSpec link) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(training, "training");
    Objects.requireNonNull(link, "link");
    LayerSums sums = new LayerSums(model);
    long[] after = new long[model.layerCount()];
    for (int i = 0; i < after.length; i++) {
      after[i] =
          sums.handOffGatherNanos(
              i + 1, microBatchSize, tensorParallel, contextParallel, training, link);
    }
    return after;
  }
}
