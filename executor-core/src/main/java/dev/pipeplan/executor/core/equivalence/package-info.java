/**
 * The gradient-equivalence check every backend runs: a pipelined iteration's gradients against the
 * same model, seed and micro-batches run sequentially on one device, compared parameter by
 * parameter. The backend supplies only how to run a layout and read its gradients.
 */
package dev.pipeplan.executor.core.equivalence;
