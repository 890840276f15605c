package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.Checks;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.roofline.Collectives;
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
    List<Long> out = new ArrayList<>(partition.stageCount());
    int end = 0;
    for (int count : partition.layerCounts()) {
      end += count;
      out.add(
          afterStage(model, end, microBatchSize, tensorParallel, contextParallel, training, link));
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
    long[] after = new long[model.layerCount()];
    for (int i = 0; i < after.length; i++) {
      after[i] =
          afterStage(model, i + 1, microBatchSize, tensorParallel, contextParallel, training, link);
    }
    return after;
  }

  /**
   * How long the receiving tensor ranks take to put a scattered hand-off back together: with the
   * scatter/gather hand-off and no sequence parallelism, a ring all-gather over the t ranks of the
   * whole output of the stage ending before layer {@code end} (Megatron-LM's {@code
   * gather_split_1d_tensor} after each receive, DeepSpeed's partitioned activations and gradients).
   * The gradient sent back is gathered the same way. 0 when every rank receives all of it, with
   * sequence parallelism, whose next layer gathers its input as part of its own work, and for the
   * last stage, which hands nothing on.
   */
  public static long afterStage(
      ModelSpec model,
      int end,
      int microBatchSize,
      int tensorParallel,
      int contextParallel,
      TrainingSpec training,
      LinkSpec link) {
    if (tensorParallel <= 1
        || training.sequenceParallel()
        || training.wholeHandOffs()
        || end >= model.layerCount()) {
      return 0;
    }
    double whole = (double) model.layer(end - 1).outputBytes() * microBatchSize / contextParallel;
    return Math.round(Collectives.reduceScatterNanos(whole, tensorParallel, link));
  }
}
