/**
 * The CPU profiler: per-layer F, I and W times at several micro-batch sizes (executor-core's {@link
 * dev.pipeplan.executor.core.profile.WorkerRounds} on nd4j, timed by a thread-CPU or wall clock),
 * plus the time to hand a tensor from one worker to the next; the result is a {@link
 * dev.pipeplan.models.Profile} that the measured cost model plans with. The calibration from
 * measured runs that corrects it is executor-core's {@link
 * dev.pipeplan.executor.core.profile.RunCalibration}.
 */
package dev.pipeplan.executor.profile;
