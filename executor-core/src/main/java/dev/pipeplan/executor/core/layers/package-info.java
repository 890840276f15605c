/**
 * The executable layers written once against {@link dev.pipeplan.executor.core.ops.Ops} (embedding,
 * pre-LN transformer block, LM head with cross-entropy): F, I and W separately, each micro-batch's
 * state kept from F to W. Every backend runs these same layers on its own {@code Ops}.
 */
package dev.pipeplan.executor.core.layers;
