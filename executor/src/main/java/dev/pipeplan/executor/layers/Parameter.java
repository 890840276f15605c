package dev.pipeplan.executor.layers;

import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trainable tensor and its gradient buffer, which W actions add into and the optimizer step
 * reads.
 *
 * @param name the layer's name and the tensor's role, for example "block3.wq"
 * @param value the weights, updated in place by the optimizer
 * @param gradient the accumulated gradient, the same shape as {@code value}
 */
public record Parameter(String name, INDArray value, INDArray gradient) {
  public Parameter {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(gradient, "gradient");
  }

  static Parameter zerosLike(String name, INDArray value) {
    return new Parameter(name, value, value.ulike().assign(0));
  }

  /** Number of scalars. */
  public long size() {
    return value.length();
  }
}
