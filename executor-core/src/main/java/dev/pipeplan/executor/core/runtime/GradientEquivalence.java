package dev.pipeplan.executor.core.runtime;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.Map;

/**
 * The thread-per-device driver's side of {@link
 * dev.pipeplan.executor.core.equivalence.GradientEquivalence}: how to run one layout of a {@link
 * PipelineConfig} on {@link PipelineRuntime} (on fresh {@link Ops} from the supplier) and read its
 * gradients. The check itself (the sequential counterpart, the order of the runs, the measure) is
 * executor-core's.
 */
public final class GradientEquivalence {
  /** The fp32 tolerance of the shared check. */
  public static final double FP32_TOLERANCE =
      dev.pipeplan.executor.core.equivalence.GradientEquivalence.FP32_TOLERANCE;

  private GradientEquivalence() {}

  /**
   * Runs iteration 0 of {@code pipelined} and of its sequential counterpart, without optimizer
   * steps, and returns the shared check's measure: the largest, over parameters, of (largest
   * absolute difference) / (largest absolute reference gradient).
   */
  public static double maxRelativeDifference(
      PipelineConfig pipelined, java.util.function.Supplier<Ops> ops) {
    return dev.pipeplan.executor.core.equivalence.GradientEquivalence.maxRelativeDifference(
        (partition, schedule) ->
            iterationZeroGradients(withLayout(pipelined, partition, schedule), ops.get()),
        pipelined.partition(),
        pipelined.schedule());
  }

  /**
   * The same model, batch and seed on one worker: one stage, F then B for each micro-batch in
   * order.
   */
  public static PipelineConfig sequential(PipelineConfig pipelined) {
    return withLayout(
        pipelined,
        dev.pipeplan.executor.core.equivalence.GradientEquivalence.sequentialPartition(
            pipelined.partition()),
        dev.pipeplan.executor.core.equivalence.GradientEquivalence.sequentialSchedule(
            pipelined.schedule().microBatchCount()));
  }

  private static Map<String, float[]> iterationZeroGradients(PipelineConfig config, Ops ops) {
    try (PipelineRuntime runtime = new PipelineRuntime(config, NanoClock.system(), ops)) {
      runtime.runIteration(0, false);
      return runtime.gradients();
    }
  }

  private static PipelineConfig withLayout(
      PipelineConfig config, Partition partition, Schedule schedule) {
    return new PipelineConfig(
        config.model(),
        partition,
        schedule,
        config.microBatchSize(),
        config.seed(),
        config.optimizer(),
        config.waitTimeout());
  }
}
