package dev.pipeplan.simulator.cost;

/**
 * Prices a partitioned model: per global virtual stage and micro-batch, the F, I and W durations,
 * the bytes sent to the next stage, the memory each action allocates or frees and the stage's
 * static memory, plus the links between pipeline devices. One interface, several sources: {@link
 * AnalyticCostModel} (FLOPs over a sustained rate) and {@link MeasuredCostModel} (measured
 * per-layer times). Implementations are immutable and thread-safe; the planner builds one per model
 * and asks it once per candidate.
 */
@FunctionalInterface
public interface CostModel {
  StageCosts stageCosts(CostRequest request);
}
