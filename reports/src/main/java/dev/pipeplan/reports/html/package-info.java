/**
 * The self-contained HTML report: one folder with index.html, its charts, the Chrome trace and a
 * copy of the plan, built in a temporary sibling folder and moved into place so that a failed write
 * leaves nothing half-written.
 */
package dev.pipeplan.reports.html;
