package dev.pipeplan.executor.layers;

import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An affine map {@code y = x W + b} (bias optional) with its gradient pieces; a building block, not
 * a layer.
 */
final class Linear {
  private final Parameter weight;
  private final Parameter bias;

  Linear(
      String name,
      long inFeatures,
      long outFeatures,
      boolean withBias,
      SplittableRandom random,
      double std,
      DataType dataType) {
    this.weight =
        Parameter.zerosLike(
            name + ".weight", Tensors.normal(random, std, dataType, inFeatures, outFeatures));
    this.bias =
        withBias
            ? Parameter.zerosLike(name + ".bias", Tensors.zeros(dataType, 1, outFeatures))
            : null;
  }

  INDArray forward(INDArray x) {
    INDArray y = x.mmul(weight.value());
    return bias == null ? y : y.addiRowVector(bias.value());
  }

  /** dx = dy W^T. */
  INDArray inputGradient(INDArray dy) {
    return Nd4j.gemm(dy, weight.value(), false, true);
  }

  /** Adds x^T dy into the weight gradient and the column sums of dy into the bias gradient. */
  void accumulateWeightGradient(INDArray x, INDArray dy) {
    Nd4j.gemm(x, dy, weight.gradient(), true, false, 1.0, 1.0);
    if (bias != null) {
      INDArray sums = dy.sum(true, 0);
      bias.gradient().addi(sums);
      Tensors.release(sums);
    }
  }

  void addParameters(List<Parameter> out) {
    out.add(weight);
    if (bias != null) {
      out.add(bias);
    }
  }
}
