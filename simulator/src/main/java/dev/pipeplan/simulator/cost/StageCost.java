package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.Checks;

/**
 * The cost of one global virtual stage for one micro-batch.
 *
 * @param forwardNanos F
 * @param backwardInputNanos I
 * @param backwardWeightNanos W; a fused B takes I + W
 * @param outputBytes bytes F sends to the next stage (and the gradient I sends back is the same
 *     size)
 * @param activationBytes bytes F allocates and the backward frees
 * @param inputGradFreedBytes the part of {@code activationBytes} that I frees; W frees the rest, B
 *     all of it
 * @param staticBytes weights, gradients and optimizer state of the stage, held all the time
 */
public record StageCost(
    long forwardNanos,
    long backwardInputNanos,
    long backwardWeightNanos,
    long outputBytes,
    long activationBytes,
    long inputGradFreedBytes,
    long staticBytes) {

  public StageCost {
    Checks.nonNegative("forwardNanos", forwardNanos);
    Checks.nonNegative("backwardInputNanos", backwardInputNanos);
    Checks.nonNegative("backwardWeightNanos", backwardWeightNanos);
    Checks.nonNegative("outputBytes", outputBytes);
    Checks.nonNegative("activationBytes", activationBytes);
    Checks.nonNegative("inputGradFreedBytes", inputGradFreedBytes);
    Checks.nonNegative("staticBytes", staticBytes);
    if (inputGradFreedBytes > activationBytes) {
      throw new IllegalArgumentException(
          "inputGradFreedBytes ("
              + inputGradFreedBytes
              + ") exceeds activationBytes ("
              + activationBytes
              + ")");
    }
  }

  /** A stage with only durations (no bytes, no memory): the closed-form tests' shape. */
  public static StageCost ofTimes(
      long forwardNanos, long backwardInputNanos, long backwardWeightNanos) {
    return new StageCost(forwardNanos, backwardInputNanos, backwardWeightNanos, 0, 0, 0, 0);
  }

  public long backwardNanos() {
    return backwardInputNanos + backwardWeightNanos;
  }
}
