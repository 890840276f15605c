package dev.pipeplan.simulator.engine;

import dev.pipeplan.simulator.timeline.Metrics;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.Objects;

/**
 * A simulated iteration.
 *
 * @param timeline every action's predicted start and end, transfers and memory
 * @param metrics iteration time, bubble ratio and per-device results
 */
public record SimulationResult(Timeline timeline, Metrics metrics) {
  public SimulationResult {
    Objects.requireNonNull(timeline, "timeline");
    Objects.requireNonNull(metrics, "metrics");
  }
}
