/**
 * The outer search over pipeline, data and tensor-parallel degrees, micro-batch size and count,
 * schedule kind and virtual stages. Each candidate is partitioned, costed and simulated; lower
 * bounds prune candidates that cannot win; the result is a ranked list of plans, their Pareto set
 * of time against memory and the reason the winner won. The cost terms themselves (stage costs,
 * memory limits, data-parallel sync, optimizer step) come from {@code simulator.cost}.
 */
package dev.pipeplan.planner.search;
