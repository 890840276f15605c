/**
 * Seeded synthetic training data, the same for every backend that runs a model (the CPU executor,
 * the CUDA backend), so that their runs of one plan see the same samples.
 */
package dev.pipeplan.models.data;
