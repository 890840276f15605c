package dev.pipeplan.simulator.timeline;

/**
 * A device's memory in use from {@code timeNanos} on, until its next point.
 *
 * @param device the pipeline device
 * @param timeNanos when the level changed
 * @param bytes bytes in use from then on, static memory included
 */
public record MemoryPoint(int device, long timeNanos, long bytes) {}
