/**
 * Chrome trace event JSON of predicted and measured timelines, for Perfetto and chrome://tracing:
 * one complete ("X") event per action, one process per source and one thread per device, written
 * with deterministic bytes.
 */
package dev.pipeplan.reports.trace;
