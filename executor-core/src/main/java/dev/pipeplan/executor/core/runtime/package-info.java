/**
 * The thread-per-device pipeline runtime, for any {@link dev.pipeplan.executor.core.ops.Ops} whose
 * calls return when their work is done (the CPU's nd4j ops, the pure-Java reference): one worker
 * per pipeline device follows its device's action list exactly as the schedule orders it, passing
 * activations forward and gradients backward through bounded mailboxes keyed by (stage,
 * micro-batch), timestamping every action into a measured timeline, then stepping the optimizer
 * once. {@link dev.pipeplan.executor.core.runtime.GradientEquivalence} runs executor-core's
 * gradient check on this runtime.
 */
package dev.pipeplan.executor.core.runtime;
