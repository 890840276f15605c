/**
 * The profiler's measuring loops, written once against {@link dev.pipeplan.executor.core.ops.Ops}
 * and a timing interface ({@link dev.pipeplan.executor.core.profile.LayerMarks}): each backend
 * supplies its ops and its timer (the CPU a thread-CPU or wall clock, CUDA events on its streams).
 * {@link dev.pipeplan.executor.core.profile.WorkerRounds} is the loop of a backend whose ops return
 * when done (one thread per concurrent worker), {@link
 * dev.pipeplan.executor.core.profile.StreamRounds} the loop of one whose ops are enqueued on
 * streams (one thread issues to every stream). What both share: which layers are measured ({@link
 * dev.pipeplan.executor.core.profile.DistinctLayers}) and how times become a profile ({@link
 * dev.pipeplan.executor.core.profile.LayerFits}). {@link
 * dev.pipeplan.executor.core.profile.RunCalibration} fits per-layer-kind, per-action corrections to
 * a profile from measured runs of any backend.
 */
package dev.pipeplan.executor.core.profile;
