/**
 * Pictures and files that show a plan to people: Gantt charts, memory and search charts, the HTML
 * report and Chrome traces. Reports only read timelines, plans and measured runs; they never
 * recompute a schedule.
 */
package dev.pipeplan.reports;
