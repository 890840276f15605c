package dev.pipeplan.simulator.cost.roofline;

/** The three actions of a stage: forward, input gradient, weight gradient (zero-bubble's split). */
public enum Pass {
  /** F: the layer's forward. */
  FORWARD,
  /** I: the gradient of the layer's input (dX GEMMs, the attention backward, element-wise ops). */
  BACKWARD_INPUT,
  /** W: the gradient of the layer's weights (dW GEMMs). */
  BACKWARD_WEIGHT
}
