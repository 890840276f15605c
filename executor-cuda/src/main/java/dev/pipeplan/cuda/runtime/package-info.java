/**
 * Runs a schedule on streams: every pipeline device is one CUDA stream (all on one GPU), one host
 * thread enqueues every action in an order that respects the schedule's dependencies, cross-device
 * dependencies become event waits, and each action is timed by events around it. The same code runs
 * on the host in double precision for tests. The gradient check and the profiler's measuring loop
 * are executor-core's; this package supplies how to run a layout on streams and the CUDA-event
 * marks that time the loop.
 */
package dev.pipeplan.cuda.runtime;
