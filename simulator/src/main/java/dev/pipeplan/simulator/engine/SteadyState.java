package dev.pipeplan.simulator.engine;

import dev.pipeplan.models.Checks;

/**
 * Repeated iterations with a post-validated optimizer step ({@link SteadyStateSimulator}).
 *
 * @param periodNanos the time per iteration once the iterations repeat: each device starts an
 *     iteration this much later than the one before
 * @param bubbleRatio 1 − (all devices' action time per iteration) / (p × period)
 * @param firstIterationNanos the first iteration's pipeline, all devices starting together (the
 *     synchronous simulation's iteration time)
 * @param maxDeviceSpanNanos in the first iteration, the longest time from a device's first action's
 *     start to its last action's end: the cost the Zero Bubble code's scheduler minimises
 * @param iterationsSimulated how many iterations were simulated back to back
 * @param periodic whether every device's start moved by the same period in the last iteration (the
 *     period is then exact); else the period is the average over the second half of the iterations
 */
public record SteadyState(
    long periodNanos,
    double bubbleRatio,
    long firstIterationNanos,
    long maxDeviceSpanNanos,
    int iterationsSimulated,
    boolean periodic) {
  public SteadyState {
    Checks.nonNegative("periodNanos", periodNanos);
    Checks.nonNegative("firstIterationNanos", firstIterationNanos);
    Checks.nonNegative("maxDeviceSpanNanos", maxDeviceSpanNanos);
    Checks.positive("iterationsSimulated", iterationsSimulated);
  }
}
