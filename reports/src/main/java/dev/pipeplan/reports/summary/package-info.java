/**
 * Numbers that reports print about one timeline, predicted or measured: per-device busy time,
 * action count, peak memory and stages, and the bubble ratio. How two timelines differ is the
 * simulator's {@code Comparison}.
 */
package dev.pipeplan.reports.summary;
