package dev.pipeplan.simulator.cost;

/**
 * Prices a partitioned model: per global virtual stage and micro-batch, the F, I and W durations,
 * the bytes sent to the next stage, the memory each action allocates or frees and the stage's
 * static memory, plus the links between pipeline devices. One interface, several sources: {@link
 * AnalyticCostModel} (FLOPs over a sustained rate) and {@link MeasuredCostModel} (measured
 * per-layer times), and no other: the interface is sealed, so a new source is a change here and a
 * compile error wherever sources are told apart. Implementations are immutable and thread-safe; the
 * planner builds one per model and asks it once per candidate.
 */
public sealed interface CostModel permits AnalyticCostModel, MeasuredCostModel {
  StageCosts stageCosts(CostRequest request);
}
