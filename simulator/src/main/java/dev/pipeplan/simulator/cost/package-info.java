/**
 * Per-stage, per-micro-batch costs of a partitioned model: F, I and W durations, the bytes that
 * cross between stages, and the memory each action allocates or frees. Two sources share one result
 * type: analytic (FLOPs over the device's sustained rate) and measured (a profile's fitted
 * per-layer times).
 */
package dev.pipeplan.simulator.cost;
