/**
 * The executable layers of the CUDA backend (embedding, pre-LN transformer block, LM head with
 * cross-entropy), written once against {@link dev.pipeplan.cuda.ops.Ops}: F, I and W separately,
 * each micro-batch's state kept from F to W. They compute what the CPU executor's layers compute,
 * in fp32 on the GPU.
 */
package dev.pipeplan.cuda.layers;
