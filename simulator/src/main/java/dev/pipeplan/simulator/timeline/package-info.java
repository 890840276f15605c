/**
 * What a run looked like, predicted or measured: per device, each action's start and end, the
 * transfers between devices, memory over time, and the metrics derived from them, with their JSON
 * forms ({@code TimelineJson}, {@code MetricsJson}). Simulated and measured runs share these types
 * so reports and comparisons treat both alike.
 */
package dev.pipeplan.simulator.timeline;
