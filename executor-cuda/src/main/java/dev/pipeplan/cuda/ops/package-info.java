/**
 * The tensor operations the CUDA backend's layers are written against: {@link
 * dev.pipeplan.cuda.ops.Ops}, with a GPU implementation (cuBLAS and the PTX kernels) and a host
 * implementation in double precision that mirrors every kernel argument for argument, so that the
 * layers' math is tested without a GPU.
 */
package dev.pipeplan.cuda.ops;
