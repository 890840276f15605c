package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.Objects;

/**
 * A trainable tensor, its gradient buffer and (for Adam) its moment buffers, all on one {@link
 * Ops}.
 */
public final class Param {
  private final String name;
  private final Tensor value;
  private final Tensor gradient;
  private Tensor firstMoment;
  private Tensor secondMoment;

  Param(String name, Ops ops, float[] initial) {
    this.name = Objects.requireNonNull(name, "name");
    this.value = ops.upload(initial);
    this.gradient = ops.zeros(initial.length);
  }

  public String name() {
    return name;
  }

  public Tensor value() {
    return value;
  }

  public Tensor gradient() {
    return gradient;
  }

  public long length() {
    return value.length();
  }

  /** Adam's moments, made (zeroed) on first use. */
  public Tensor[] moments(Ops ops) {
    if (firstMoment == null) {
      firstMoment = ops.zeros(value.length());
      secondMoment = ops.zeros(value.length());
    }
    return new Tensor[] {firstMoment, secondMoment};
  }

  /** Bytes this parameter holds on the device: value, gradient and moments if made. */
  public long bytes() {
    return 4L * value.length() * (firstMoment == null ? 2 : 4);
  }

  void release(Ops ops) {
    ops.free(value, gradient, firstMoment, secondMoment);
  }
}
