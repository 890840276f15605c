/**
 * Runs a plan for real on the CPU: executor-core's shared layers on {@link
 * dev.pipeplan.executor.cpu.Nd4jOps}, one worker per pipeline device following its schedule, the
 * profiler that measures per-layer times, and the measured timelines it produces.
 */
package dev.pipeplan.executor;
