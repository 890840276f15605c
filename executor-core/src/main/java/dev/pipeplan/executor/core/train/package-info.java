/**
 * The optimizer step every backend applies once per iteration, after the gradients of all
 * micro-batches are accumulated: the settings (SGD or Adam) and the updater that launches the SGD
 * and Adam kernels over a pipeline device's parameters.
 */
package dev.pipeplan.executor.core.train;
