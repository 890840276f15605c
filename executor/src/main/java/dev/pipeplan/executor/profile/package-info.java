/**
 * The profiler: per-layer F, I and W times at several micro-batch sizes (warm-up, repeats, median),
 * fitted to a line in the micro-batch size, plus the time to hand a tensor from one worker to the
 * next; the result is a {@link dev.pipeplan.models.Profile} that the measured cost model plans
 * with.
 */
package dev.pipeplan.executor.profile;
