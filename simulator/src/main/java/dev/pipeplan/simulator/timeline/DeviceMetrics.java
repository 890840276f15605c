package dev.pipeplan.simulator.timeline;

/**
 * Per-device results of one iteration.
 *
 * @param device the pipeline device
 * @param busyNanos time spent running actions
 * @param peakMemoryBytes the highest memory level, static memory included
 * @param peakInFlightMicroBatches the most micro-batches whose forward had run on this device and
 *     whose activations were not yet fully freed, at any one time (counted per
 *     stage-and-micro-batch)
 */
public record DeviceMetrics(
    int device, long busyNanos, long peakMemoryBytes, int peakInFlightMicroBatches) {}
