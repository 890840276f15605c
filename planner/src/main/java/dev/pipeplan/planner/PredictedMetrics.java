package dev.pipeplan.planner;

import dev.pipeplan.models.Checks;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import java.util.List;
import java.util.Objects;

/**
 * What a plan is predicted to do in one training iteration.
 *
 * @param iterationNanos the whole iteration: pipeline, then the data-parallel gradient all-reduce,
 *     then the optimizer step; with the step post-validated ({@link Plan#optimizerPostValidation}),
 *     the steady-state period of back-to-back iterations, which holds the sync and step
 * @param pipelineNanos the simulated pipeline alone (what {@link PlanPrediction#predict(Plan)}
 *     reproduces)
 * @param dataParallelSyncNanos the ring all-reduce of the gradients across the dp replicas (0 when
 *     dp = 1)
 * @param optimizerStepNanos the optimizer step of the slowest pipeline device
 * @param bubbleRatio 1 - busy / (pp * pipelineNanos) of the simulated pipeline
 * @param throughputSamplesPerSecond global batch over the iteration time
 * @param throughputTokensPerSecond samples per second times the sequence length (0 when there is
 *     none)
 * @param peakMemoryBytes the highest peak over the pipeline devices
 * @param memoryLimitBytes the memory a device may use, the limit the plan was checked against
 * @param devices per pipeline device: busy time, peak memory, peak in-flight micro-batches
 */
public record PredictedMetrics(
    long iterationNanos,
    long pipelineNanos,
    long dataParallelSyncNanos,
    long optimizerStepNanos,
    double bubbleRatio,
    double throughputSamplesPerSecond,
    double throughputTokensPerSecond,
    long peakMemoryBytes,
    long memoryLimitBytes,
    List<DeviceMetrics> devices) {

  public PredictedMetrics {
    Checks.nonNegative("predicted.iterationNanos", iterationNanos);
    Checks.nonNegative("predicted.pipelineNanos", pipelineNanos);
    Checks.nonNegative("predicted.dataParallelSyncNanos", dataParallelSyncNanos);
    Checks.nonNegative("predicted.optimizerStepNanos", optimizerStepNanos);
    Checks.nonNegative("predicted.peakMemoryBytes", peakMemoryBytes);
    Checks.positive("predicted.memoryLimitBytes", memoryLimitBytes);
    devices = List.copyOf(Objects.requireNonNull(devices, "devices"));
  }

  /** The iteration time in milliseconds, for display. */
  public double iterationMillis() {
    return iterationNanos / 1e6;
  }
}
