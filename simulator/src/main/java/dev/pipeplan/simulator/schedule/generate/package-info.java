/**
 * Every schedule generator, one per {@link dev.pipeplan.simulator.schedule.ScheduleKind}, reached
 * through {@link dev.pipeplan.simulator.schedule.generate.ScheduleGenerators}: the fixed patterns
 * (GPipe, 1F1B, interleaved, looped BFS, ZB-H1/H2, ZB-V, DualPipeV) and the searched, cost-aware
 * ones (zb-auto, V-Half, V-Min) with their helpers (the sweep and list schedulers, the V building
 * block, the order refiner, a bounded memo).
 */
package dev.pipeplan.simulator.schedule.generate;
