/**
 * The schedule IR: actions (F, I, W, B on global virtual stages) and per-device ordered action
 * lists with their stage to device map ({@link dev.pipeplan.simulator.schedule.Schedule}); the
 * generators for every {@link dev.pipeplan.simulator.schedule.ScheduleKind}, reached through {@link
 * dev.pipeplan.simulator.schedule.ScheduleGenerators}; the dependency rule, the validator with its
 * deadlock report, in-flight counting, the unit-step layout, and PyTorch CSV import/export.
 */
package dev.pipeplan.simulator.schedule;
