package dev.pipeplan.planner.search;

import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.engine.SteadyState;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.timeline.Metrics;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A candidate after partitioning and simulation.
 *
 * @param candidate what was evaluated
 * @param partition its partition
 * @param stageCosts the cost of each global virtual stage
 * @param pipeline the simulated pipeline's metrics
 * @param dataParallelSyncNanos the gradient all-reduce across replicas
 * @param optimizerStepNanos the optimizer step of the slowest device
 * @param memoryLimitBytes the per-device limit it was checked against (the smallest over its
 *     devices)
 * @param overMemoryBytes how far the fullest device is over its limit (0 or less when it fits)
 * @param overMemoryDevice the pipeline device with the largest overshoot
 * @param postValidated with the optimizer step post-validated, the steady state of back-to-back
 *     iterations (sync and step included in its period); empty for a synchronous step
 */
public record Evaluation(
    Candidate candidate,
    Partition partition,
    List<StageCost> stageCosts,
    Metrics pipeline,
    long dataParallelSyncNanos,
    long optimizerStepNanos,
    long memoryLimitBytes,
    long overMemoryBytes,
    int overMemoryDevice,
    Optional<SteadyState> postValidated) {

  /** Faster first; then less memory; then the candidate order and the partition's text. */
  public static final Comparator<Evaluation> RANKING =
      Comparator.comparingLong(Evaluation::iterationNanos)
          .thenComparingLong(Evaluation::peakMemoryBytes)
          .thenComparing(Evaluation::candidate, Candidate.ORDER)
          .thenComparing(e -> e.partition().toString());

  public Evaluation {
    Objects.requireNonNull(candidate, "candidate");
    Objects.requireNonNull(partition, "partition");
    stageCosts = List.copyOf(Objects.requireNonNull(stageCosts, "stageCosts"));
    Objects.requireNonNull(pipeline, "pipeline");
    Objects.requireNonNull(postValidated, "postValidated");
  }

  /**
   * Pipeline, then gradient sync, then optimizer step; with the step post-validated, the
   * steady-state period, which holds each device's sync and step.
   */
  public long iterationNanos() {
    return postValidated.isPresent()
        ? postValidated.get().periodNanos()
        : synchronousIterationNanos();
  }

  /** The iteration with a synchronous step: pipeline, then gradient sync, then optimizer step. */
  public long synchronousIterationNanos() {
    return pipeline.iterationNanos() + dataParallelSyncNanos + optimizerStepNanos;
  }

  public long peakMemoryBytes() {
    return pipeline.peakMemoryBytes();
  }

  public boolean fits() {
    return overMemoryBytes <= 0;
  }
}
