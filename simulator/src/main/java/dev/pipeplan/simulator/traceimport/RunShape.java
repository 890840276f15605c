package dev.pipeplan.simulator.traceimport;

import dev.pipeplan.models.Checks;

/**
 * What a plan says should have run: the numbers a trace must agree with before it is compared with
 * the plan.
 *
 * @param modelName the plan's model
 * @param scheduleName the plan's schedule kind id
 * @param pipelineDevices p
 * @param virtualStages v
 * @param microBatchCount m
 * @param microBatchSize b
 * @param partition layers per global stage, "5,5"
 */
public record RunShape(
    String modelName,
    String scheduleName,
    int pipelineDevices,
    int virtualStages,
    int microBatchCount,
    int microBatchSize,
    String partition) {

  public RunShape {
    Checks.nonBlank("modelName", modelName);
    Checks.nonBlank("scheduleName", scheduleName);
    Checks.positive("pipelineDevices", pipelineDevices);
    Checks.positive("virtualStages", virtualStages);
    Checks.positive("microBatchCount", microBatchCount);
    Checks.positive("microBatchSize", microBatchSize);
    Checks.nonBlank("partition", partition);
  }
}
