/**
 * Splitting a model's layers into contiguous pipeline stages: the exact min-max dynamic program
 * over prefix sums, the exact partition for 1F1B's and GPipe's closed-form makespan, a local search
 * over all chunks for interleaved and V-shaped placements, a mixed-integer program (ojalgo) for
 * constraints the DP cannot express, and the reference strategies other engines use (uniform layer
 * counts, parameter-balanced, time-balanced greedy), all over one per-layer cost table.
 */
package dev.pipeplan.planner.partition;
