/**
 * Runs a plan for real: executable layers built from a model's shapes, one worker per pipeline
 * device following its schedule, the profiler that measures per-layer times, and the measured
 * timelines it produces.
 */
package dev.pipeplan.executor;
