/**
 * Measured runs, their noise and their comparison with the prediction: a {@link
 * dev.pipeplan.simulator.compare.MeasuredRun} holds the timelines an executor measured, and {@link
 * dev.pipeplan.simulator.compare.Comparison} sets one measured iteration against the simulator's
 * predicted timeline, per iteration and per action.
 */
package dev.pipeplan.simulator.compare;
