package dev.pipeplan.simulator.schedule;

/** The kinds of pipeline action. */
public enum ActionType {
  /** Forward of one micro-batch through one stage. */
  F,
  /** Backward for the stage's input gradient only (zero-bubble split). */
  I,
  /** Backward for the stage's weight gradient only (zero-bubble split). */
  W,
  /** Full backward: I and W fused. */
  B;

  public boolean isBackward() {
    return this != F;
  }
}
