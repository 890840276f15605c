/**
 * Splitting a model's layers into contiguous pipeline stages: the exact min-max dynamic program
 * over prefix sums, a mixed-integer program (ojalgo) for constraints the DP cannot express, and the
 * reference strategies other engines use (uniform layer counts, parameter-balanced, time-balanced
 * greedy), all over one per-layer cost table.
 */
package dev.pipeplan.planner.partition;
