/**
 * The CPU profiler and the calibration from measured runs: per-layer F, I and W times at several
 * micro-batch sizes (executor-core's {@link dev.pipeplan.executor.core.profile.WorkerRounds} on
 * nd4j, timed by a thread-CPU or wall clock), plus the time to hand a tensor from one worker to the
 * next; the result is a {@link dev.pipeplan.models.Profile} that the measured cost model plans
 * with. {@link dev.pipeplan.executor.profile.RunCalibration} fits per-layer-kind, per-action
 * corrections to a profile from measured runs.
 */
package dev.pipeplan.executor.profile;
