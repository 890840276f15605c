package dev.pipeplan.reports.chart;

import dev.pipeplan.models.Checks;

/**
 * One candidate the planner simulated, as the search charts see it.
 *
 * @param kind the schedule kind's id ("1f1b", "zb-v")
 * @param microBatchCount m
 * @param iterationNanos predicted iteration time
 * @param peakMemoryBytes predicted peak memory over the devices
 * @param feasible whether it fits in every device's memory
 * @param chosen whether it is the plan that was picked
 */
public record SearchPoint(
    String kind,
    int microBatchCount,
    long iterationNanos,
    long peakMemoryBytes,
    boolean feasible,
    boolean chosen) {

  public SearchPoint {
    Checks.nonBlank("search point kind", kind);
    Checks.positive("search point microBatchCount", microBatchCount);
    Checks.nonNegative("search point iterationNanos", iterationNanos);
    Checks.nonNegative("search point peakMemoryBytes", peakMemoryBytes);
  }
}
