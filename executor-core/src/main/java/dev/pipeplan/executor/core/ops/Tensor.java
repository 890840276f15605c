package dev.pipeplan.executor.core.ops;

/**
 * A flat buffer of fp32 (or int32 token ids) owned by one {@link Ops}; the layers give it meaning
 * by shape.
 */
public interface Tensor {
  /** Elements in the buffer. */
  long length();
}
