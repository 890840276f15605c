/**
 * Runs a plan for real on the CPU: executor-core's shared layers and thread-per-device runtime on
 * {@link dev.pipeplan.executor.cpu.Nd4jOps} (with OpenBLAS's thread settings), the profiler that
 * measures per-layer times, and the plan runner that compares the measured timelines with the
 * prediction.
 */
package dev.pipeplan.executor;
