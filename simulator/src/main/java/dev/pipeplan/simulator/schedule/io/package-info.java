/**
 * Schedules in other forms: the PyTorch {@code torch.distributed.pipelining} CSV format (import and
 * export) and the unit-step layout PyTorch prints and {@code pipeplan schedule} draws.
 */
package dev.pipeplan.simulator.schedule.io;
