/**
 * The pipeline runtime: one worker per pipeline device follows its device's action list exactly as
 * the schedule orders it, passing activations forward and gradients backward through bounded
 * mailboxes keyed by (stage, micro-batch), timestamping every action into a measured timeline, then
 * stepping the optimizer once. {@link dev.pipeplan.executor.runtime.GradientEquivalence} runs
 * executor-core's gradient check on this runtime.
 */
package dev.pipeplan.executor.runtime;
