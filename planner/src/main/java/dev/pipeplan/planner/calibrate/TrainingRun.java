package dev.pipeplan.planner.calibrate;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One measured training run: the configuration exactly as it ran, and its measured time per
 * iteration.
 *
 * @param id a short name for tables ("M1")
 * @param source where the measurement was published
 * @param published the number as the source states it ("408.8 TFLOP/s per GPU")
 * @param model the model as trained
 * @param training global batch, sequence, dtype and the memory and communication modes
 * @param cluster the GPUs it ran on, all of them (dp follows from the count)
 * @param tensorParallel t
 * @param pipelineParallel p
 * @param microBatchSize b when the source states it; empty when it does not, and the run is taken
 *     to have been tuned: pipeplan picks the fastest b that fits in memory
 * @param kinds the pipeline schedule (1F1B for p = 1); several when the source does not say which
 *     of its engine's schedules the run used, and pipeplan picks the fastest that fits
 * @param virtualStages v when the source states it; empty lets pipeplan choose (the fastest the
 *     run's block split allows)
 * @param stageBlocks how the run's engine split the blocks over the chunks; empty for pipeplan's
 *     own partition
 * @param measuredIterationSeconds the measured seconds per iteration
 * @param contextParallel cp, the devices each sequence was split over (1: none)
 */
public record TrainingRun(
    String id,
    String source,
    String published,
    ModelSpec model,
    TrainingSpec training,
    ClusterSpec cluster,
    int tensorParallel,
    int pipelineParallel,
    OptionalInt microBatchSize,
    List<ScheduleKind> kinds,
    OptionalInt virtualStages,
    Optional<StageBlocks> stageBlocks,
    double measuredIterationSeconds,
    int contextParallel) {

  public TrainingRun {
    Checks.nonBlank("id", id);
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(published, "published");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(training, "training");
    Objects.requireNonNull(cluster, "cluster");
    Checks.positive("run " + id + " tp", tensorParallel);
    Checks.positive("run " + id + " pp", pipelineParallel);
    Objects.requireNonNull(microBatchSize, "microBatchSize");
    microBatchSize.ifPresent(b -> Checks.positive("run " + id + " microBatchSize", b));
    kinds = List.copyOf(Objects.requireNonNull(kinds, "kinds"));
    if (kinds.isEmpty()) {
      throw new BadInputException("run " + id + " names no schedule");
    }
    Objects.requireNonNull(virtualStages, "virtualStages");
    Objects.requireNonNull(stageBlocks, "stageBlocks");
    Checks.positive("run " + id + " iterationSeconds", measuredIterationSeconds);
    Checks.positive("run " + id + " cp", contextParallel);
  }

  /** A run without context parallelism. */
  public TrainingRun(
      String id,
      String source,
      String published,
      ModelSpec model,
      TrainingSpec training,
      ClusterSpec cluster,
      int tensorParallel,
      int pipelineParallel,
      OptionalInt microBatchSize,
      List<ScheduleKind> kinds,
      OptionalInt virtualStages,
      Optional<StageBlocks> stageBlocks,
      double measuredIterationSeconds) {
    this(
        id,
        source,
        published,
        model,
        training,
        cluster,
        tensorParallel,
        pipelineParallel,
        microBatchSize,
        kinds,
        virtualStages,
        stageBlocks,
        measuredIterationSeconds,
        1);
  }

  /** The name of the device the run used (its first group's). */
  public String deviceName() {
    return cluster.groups().get(0).device().name();
  }
}
