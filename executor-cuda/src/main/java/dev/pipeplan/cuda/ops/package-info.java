/**
 * The CUDA implementation of {@link dev.pipeplan.executor.core.ops.Ops}: cuBLAS products, the PTX
 * kernels, device memory, streams and events, and the self-check that compares it with the host
 * reference on the GPU.
 */
package dev.pipeplan.cuda.ops;
