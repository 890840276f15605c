/**
 * Per-stage, per-micro-batch costs of a partitioned model: F, I and W durations, the bytes that
 * cross between stages, and the memory each action allocates or frees. Two sources share one result
 * type: analytic (a roofline per op) and measured (a profile's fitted per-layer times), and {@link
 * dev.pipeplan.simulator.cost.CostSources} is the one place that picks between them. {@link
 * dev.pipeplan.simulator.cost.IterationCosts} adds the iteration's terms outside the schedule: the
 * memory limit per device, the data-parallel gradient sync and the optimizer step.
 */
package dev.pipeplan.simulator.cost;
