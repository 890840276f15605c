/**
 * Executable layers on nd4j with hand-written backward passes split into I (the input gradient,
 * keeping what the weight gradient needs) and W (weight gradients, accumulated over micro-batches),
 * as zero-bubble schedules need. Each layer keeps its saved activations per micro-batch, so one
 * layer object serves every micro-batch in flight.
 */
package dev.pipeplan.executor.layers;
