/**
 * The schedule IR: actions (F, I, W, B on global virtual stages), per-device ordered action lists with their stage
 * to device map, the generators for every supported schedule kind, the validator, and PyTorch CSV import/export.
 */
package dev.pipeplan.simulator.schedule;
