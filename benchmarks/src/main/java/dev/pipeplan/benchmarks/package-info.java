/**
 * JMH benchmarks: how fast the simulator times a schedule (simulated actions per second, and how
 * the cost grows with the number of actions) and, beside it, the planner's search. Run by hand
 * only; docs/benchmarks.md has the commands and the recorded numbers.
 */
package dev.pipeplan.benchmarks;
