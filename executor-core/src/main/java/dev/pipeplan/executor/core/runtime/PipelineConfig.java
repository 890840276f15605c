package dev.pipeplan.executor.core.runtime;

import dev.pipeplan.executor.core.train.OptimizerSettings;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import java.time.Duration;
import java.util.Objects;

/**
 * What the runtime runs: a model split into global virtual stages, the schedule every device
 * follows, and the training settings.
 *
 * @param model the model; every layer must be executable
 * @param partition layers per global virtual stage; as many stages as the schedule has
 * @param schedule the per-device action lists and the stage-to-device map
 * @param microBatchSize b, samples per micro-batch
 * @param seed root seed of the weights and the synthetic data
 * @param optimizer the step applied once per iteration
 * @param waitTimeout how long a worker waits for a tensor (or for room to send one) before the run
 *     fails
 */
public record PipelineConfig(
    ModelSpec model,
    Partition partition,
    Schedule schedule,
    int microBatchSize,
    long seed,
    OptimizerSettings optimizer,
    Duration waitTimeout) {

  /**
   * The default wait: long enough for any sane action, short enough that a deadlock ends the run.
   */
  public static final Duration DEFAULT_WAIT = Duration.ofSeconds(120);

  public PipelineConfig {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(schedule, "schedule");
    Checks.positive("microBatchSize", microBatchSize);
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(waitTimeout, "waitTimeout");
    if (waitTimeout.isNegative() || waitTimeout.isZero()) {
      throw new BadInputException("waitTimeout must be > 0, got " + waitTimeout);
    }
    partition.requireCovers(model);
    partition.requireStagesOf(schedule);
  }

  /** A config with SGD at 0.1 and the default wait. */
  public static PipelineConfig of(
      ModelSpec model, Partition partition, Schedule schedule, int microBatchSize, long seed) {
    return new PipelineConfig(
        model, partition, schedule, microBatchSize, seed, OptimizerSettings.sgd(0.1), DEFAULT_WAIT);
  }

  public PipelineConfig withOptimizer(OptimizerSettings settings) {
    return new PipelineConfig(
        model, partition, schedule, microBatchSize, seed, settings, waitTimeout);
  }

  public PipelineConfig withWaitTimeout(Duration wait) {
    return new PipelineConfig(model, partition, schedule, microBatchSize, seed, optimizer, wait);
  }

  /** Samples per iteration, b * m. */
  public int globalBatch() {
    return microBatchSize * schedule.microBatchCount();
  }
}
