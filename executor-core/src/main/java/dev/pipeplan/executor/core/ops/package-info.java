/**
 * The tensor operations every executor backend implements: {@link
 * dev.pipeplan.executor.core.ops.Ops} over flat fp32 buffers ({@link
 * dev.pipeplan.executor.core.ops.Tensor}), row-major products with offsets and leading dimensions,
 * and the kernels of {@link dev.pipeplan.executor.core.ops.Kernel}. {@link
 * dev.pipeplan.executor.core.ops.HostOps} is the pure-Java reference in double precision that every
 * backend is checked against.
 */
package dev.pipeplan.executor.core.ops;
