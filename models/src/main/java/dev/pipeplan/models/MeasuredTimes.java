package dev.pipeplan.models;

/**
 * Times measured for one layer at one micro-batch size, in nanoseconds. A layer described only by
 * measured times (a PipeDream profile, our own measured-model file) carries these instead of, or
 * beside, FLOP counts.
 *
 * @param microBatchSize the micro-batch size (samples) the times were taken at
 * @param forwardNanos forward time
 * @param backwardInputNanos backward time for the input gradient (I)
 * @param backwardWeightNanos backward time for the weight gradient (W); 0 when only a fused
 *     backward was measured and {@code backwardInputNanos} holds the whole backward
 */
public record MeasuredTimes(
    int microBatchSize, long forwardNanos, long backwardInputNanos, long backwardWeightNanos) {
  public MeasuredTimes {
    Checks.positive("microBatchSize", microBatchSize);
    Checks.nonNegative("forwardNanos", forwardNanos);
    Checks.nonNegative("backwardInputNanos", backwardInputNanos);
    Checks.nonNegative("backwardWeightNanos", backwardWeightNanos);
  }

  public long backwardNanos() {
    return backwardInputNanos + backwardWeightNanos;
  }
}
