/**
 * The schedule IR: actions (F, I, W, B on global virtual stages), per-device ordered action lists
 * with their stage to device map ({@link dev.pipeplan.simulator.schedule.Schedule}), the kinds and
 * the requests a generator answers, the per-stage costs a cost-aware generator plans with, the
 * dependency rule and the work limits. The generators are in {@code schedule.generate}, the checks
 * (validator, in-flight counting, the unit-step token game) in {@code schedule.check}, the PyTorch
 * CSV format and the unit-step layout in {@code schedule.io}; each depends on this package and none
 * of them on another, except that the layout and the generators use the checks.
 */
package dev.pipeplan.simulator.schedule;
