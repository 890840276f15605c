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
    atMostTheLimit("forwardNanos", forwardNanos);
    atMostTheLimit("backwardInputNanos", backwardInputNanos);
    atMostTheLimit("backwardWeightNanos", backwardWeightNanos);
  }

  /** At most 10^9 ms, the limit of a model file's measured times. */
  private static void atMostTheLimit(String field, long nanos) {
    long limit = (long) (ModelLimits.MAX_LAYER_MILLIS * 1e6);
    if (nanos > limit) {
      throw new BadInputException(
          field + " must be at most " + limit + " ns (10^9 ms), got " + nanos);
    }
  }

  public long backwardNanos() {
    return backwardInputNanos + backwardWeightNanos;
  }
}
