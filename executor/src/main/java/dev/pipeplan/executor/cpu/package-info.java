/**
 * The CPU backend: {@link dev.pipeplan.executor.cpu.Nd4jOps}, the shared {@code Ops} on nd4j-native
 * (OpenBLAS products, the kernels as loops over native buffers); nd4j-native's thread settings for
 * pipeline workers, and a description of the machine that profiles and measured runs record. nd4j
 * reads OMP_NUM_THREADS once, when it loads; the launcher sets it.
 */
package dev.pipeplan.executor.cpu;
