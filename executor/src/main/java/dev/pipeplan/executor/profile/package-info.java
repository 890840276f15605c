/**
 * The profiler and the calibration from measured runs: per-layer F, I and W times at several
 * micro-batch sizes (warm-up, two timed passes, medians), fitted to a line in the micro-batch size,
 * plus the time to hand a tensor from one worker to the next; the result is a {@link
 * dev.pipeplan.models.Profile} that the measured cost model plans with. {@link
 * dev.pipeplan.executor.profile.RunCalibration} fits per-layer-kind, per-action corrections to a
 * profile from measured runs.
 */
package dev.pipeplan.executor.profile;
