package dev.pipeplan.simulator.cost;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
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
 * @param workspaceBytes memory the stage's backward needs while it runs and frees afterwards: with
 *     full recomputation, one layer's activations. A device reserves the largest workspace of its
 *     stages once, not once per stage, since it runs one backward at a time
 * @param handOffGatherNanos how long the receiving tensor ranks take to all-gather the shares of
 *     this stage's output, and of the gradient sent back for it, when each rank sends only its 1/t
 *     share (the scatter/gather hand-off, {@code training.wholeHandOffs} false without sequence
 *     parallelism): work on the receiving device before the action that uses it (the next stage's
 *     F, this stage's I or B), between devices only; 0 otherwise
 */
public record StageCost(
    long forwardNanos,
    long backwardInputNanos,
    long backwardWeightNanos,
    long outputBytes,
    long activationBytes,
    long inputGradFreedBytes,
    long staticBytes,
    // A plan file written before the field existed has none: no workspace, as then.
    @JsonSetter(nulls = Nulls.AS_EMPTY) long workspaceBytes,
    // A plan file written before the field existed has none: no gather, as then; written only
    // when there is one, so plans without a scattered hand-off read as before.
    @JsonSetter(nulls = Nulls.AS_EMPTY) @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        long handOffGatherNanos) {

  public StageCost {
    Checks.nonNegative("forwardNanos", forwardNanos);
    Checks.nonNegative("backwardInputNanos", backwardInputNanos);
    Checks.nonNegative("backwardWeightNanos", backwardWeightNanos);
    Checks.nonNegative("outputBytes", outputBytes);
    Checks.nonNegative("activationBytes", activationBytes);
    Checks.nonNegative("inputGradFreedBytes", inputGradFreedBytes);
    Checks.nonNegative("staticBytes", staticBytes);
    Checks.nonNegative("workspaceBytes", workspaceBytes);
    Checks.nonNegative("handOffGatherNanos", handOffGatherNanos);
    if (inputGradFreedBytes > activationBytes) {
      throw new IllegalArgumentException(
          "inputGradFreedBytes ("
              + inputGradFreedBytes
              + ") exceeds activationBytes ("
              + activationBytes
              + ")");
    }
  }

  /** A stage whose hand-off needs no gather. */
  public StageCost(
      long forwardNanos,
      long backwardInputNanos,
      long backwardWeightNanos,
      long outputBytes,
      long activationBytes,
      long inputGradFreedBytes,
      long staticBytes,
      long workspaceBytes) {
    this(
        forwardNanos,
        backwardInputNanos,
        backwardWeightNanos,
        outputBytes,
        activationBytes,
        inputGradFreedBytes,
        staticBytes,
        workspaceBytes,
        0);
  }

  /** A stage without a backward workspace. */
  public StageCost(
      long forwardNanos,
      long backwardInputNanos,
      long backwardWeightNanos,
      long outputBytes,
      long activationBytes,
      long inputGradFreedBytes,
      long staticBytes) {
    this(
        forwardNanos,
        backwardInputNanos,
        backwardWeightNanos,
        outputBytes,
        activationBytes,
        inputGradFreedBytes,
        staticBytes,
        0);
  }

  /** A stage with only durations (no bytes, no memory): the closed-form tests' shape. */
  public static StageCost ofTimes(
      long forwardNanos, long backwardInputNanos, long backwardWeightNanos) {
    return new StageCost(forwardNanos, backwardInputNanos, backwardWeightNanos, 0, 0, 0, 0);
  }

  /** This stage with its hand-off's gather taking {@code nanos}. */
  public StageCost withHandOffGatherNanos(long nanos) {
    return new StageCost(
        forwardNanos,
        backwardInputNanos,
        backwardWeightNanos,
        outputBytes,
        activationBytes,
        inputGradFreedBytes,
        staticBytes,
        workspaceBytes,
        nanos);
  }

  public long backwardNanos() {
    return backwardInputNanos + backwardWeightNanos;
  }
}
