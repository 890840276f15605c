/**
 * The discrete-event simulator: list scheduling on the action graph of a validated schedule with
 * per-stage costs, producing a predicted {@link dev.pipeplan.simulator.timeline.Timeline} and its
 * metrics.
 */
package dev.pipeplan.simulator.engine;
