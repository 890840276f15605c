/**
 * JFreeChart pictures of timelines and searches: the Gantt chart (one row per device, bars per
 * action), the paired predicted-against-measured Gantt, memory over time, and the search landscape
 * and Pareto front. Every chart writes headless to PNG or SVG through {@link
 * dev.pipeplan.reports.chart.ChartFiles}, atomically.
 */
package dev.pipeplan.reports.chart;
