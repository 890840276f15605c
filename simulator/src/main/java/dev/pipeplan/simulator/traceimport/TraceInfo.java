package dev.pipeplan.simulator.traceimport;

import dev.pipeplan.models.Checks;
import java.util.Objects;

/**
 * What a trace says about the run it recorded. Chrome traces say little: their unknown text fields
 * are empty and unknown counts 0; a plan fills them in.
 *
 * @param engine the engine that ran ("pytorch")
 * @param modelName the model, or "" when unknown
 * @param scheduleName the schedule kind ("1f1b", "zb-v"), or "" when unknown
 * @param pipelineDevices p, the ranks that ran the pipeline
 * @param virtualStages v, or 0 when unknown
 * @param microBatchCount m, or 0 when unknown
 * @param microBatchSize b, or 0 when unknown
 * @param partition layers per global stage ("5,5"), or "" when unknown
 * @param backend how it ran ("pytorch-gloo-cpu", "pytorch-nccl-cuda", "pytorch-profiler")
 * @param machine the machine, as the trace describes it
 * @param threadSettings the thread settings, as the trace describes them
 * @param seed the seed of weights and data (0 when unknown)
 * @param warmupIterations iterations run before the recorded ones
 */
public record TraceInfo(
    String engine,
    String modelName,
    String scheduleName,
    int pipelineDevices,
    int virtualStages,
    int microBatchCount,
    int microBatchSize,
    String partition,
    String backend,
    String machine,
    String threadSettings,
    long seed,
    int warmupIterations) {

  public TraceInfo {
    Checks.nonBlank("trace engine", engine);
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(scheduleName, "scheduleName");
    Checks.positive("trace pipelineDevices", pipelineDevices);
    Checks.nonNegative("trace virtualStages", virtualStages);
    Checks.nonNegative("trace microBatchCount", microBatchCount);
    Checks.nonNegative("trace microBatchSize", microBatchSize);
    Objects.requireNonNull(partition, "partition");
    Checks.nonBlank("trace backend", backend);
    Objects.requireNonNull(machine, "machine");
    Objects.requireNonNull(threadSettings, "threadSettings");
    Checks.nonNegative("trace warmupIterations", warmupIterations);
  }
}
