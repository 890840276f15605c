/**
 * The CUDA backend: runs a plan on one NVIDIA GPU with cuBLAS and PTX kernels through the JavaCPP
 * CUDA presets, times every action with CUDA events and returns the same measured run as the CPU
 * executor.
 */
package dev.pipeplan.cuda;
