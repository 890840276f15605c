package dev.pipeplan.planner;

import dev.pipeplan.models.Checks;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.Objects;

/**
 * One ranked candidate of a search, in brief: enough to print a table row or rebuild the candidate.
 *
 * @param rank 1 for the winner
 * @param parallelism pp, dp, tp
 * @param microBatchSize b
 * @param microBatchCount m
 * @param scheduleKind the schedule kind
 * @param virtualStages v
 * @param partition layers per global virtual stage, "12,12,11,11"
 * @param iterationNanos predicted iteration time (with the optimizer step post-validated, the
 *     steady-state period)
 * @param bubbleRatio predicted bubble ratio of the pipeline (with the optimizer step
 *     post-validated, over the steady-state period: 1 − busy / (pp × period))
 * @param peakMemoryBytes predicted peak memory of the fullest device
 */
public record PlanSummary(
    int rank,
    Parallelism parallelism,
    int microBatchSize,
    int microBatchCount,
    ScheduleKind scheduleKind,
    int virtualStages,
    String partition,
    long iterationNanos,
    double bubbleRatio,
    long peakMemoryBytes) {

  public PlanSummary {
    Checks.positive("rank", rank);
    Objects.requireNonNull(parallelism, "parallelism");
    Checks.positive("microBatchSize", microBatchSize);
    Checks.positive("microBatchCount", microBatchCount);
    Objects.requireNonNull(scheduleKind, "scheduleKind");
    Checks.positive("virtualStages", virtualStages);
    Checks.nonBlank("partition", partition);
    Checks.nonNegative("iterationNanos", iterationNanos);
    Checks.nonNegative("peakMemoryBytes", peakMemoryBytes);
  }

  /** The same summary with another rank. */
  public PlanSummary withRank(int newRank) {
    return new PlanSummary(
        newRank,
        parallelism,
        microBatchSize,
        microBatchCount,
        scheduleKind,
        virtualStages,
        partition,
        iterationNanos,
        bubbleRatio,
        peakMemoryBytes);
  }
}
