package dev.pipeplan.executor.layers;

import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Layer norm over the last dimension with gain and shift; a building block, not a layer. */
final class LayerNorm {
  private final Parameter gain;
  private final Parameter shift;

  LayerNorm(String name, long features, DataType dataType) {
    this.gain = Parameter.zerosLike(name + ".gain", Tensors.ones(dataType, 1, features));
    this.shift = Parameter.zerosLike(name + ".shift", Tensors.zeros(dataType, 1, features));
  }

  /** What forward keeps: the normalised rows and 1/std per row. */
  record Saved(INDArray normalized, INDArray rstd) {}

  INDArray forward(INDArray x, Saved[] savedOut) {
    INDArray[] rstd = new INDArray[1];
    INDArray normalized = Tensors.normalize(x, rstd);
    savedOut[0] = new Saved(normalized, rstd[0]);
    return normalized.mulRowVector(gain.value()).addiRowVector(shift.value());
  }

  INDArray inputGradient(Saved saved, INDArray dy) {
    INDArray scaled = dy.mulRowVector(gain.value());
    INDArray out = Tensors.normalizeBackward(scaled, saved.normalized(), saved.rstd());
    Tensors.release(scaled);
    return out;
  }

  void accumulateWeightGradient(Saved saved, INDArray dy) {
    INDArray product = dy.mul(saved.normalized());
    INDArray gainGrad = product.sum(true, 0);
    INDArray shiftGrad = dy.sum(true, 0);
    gain.gradient().addi(gainGrad);
    shift.gradient().addi(shiftGrad);
    Tensors.release(product, gainGrad, shiftGrad);
  }

  static void release(Saved saved) {
    if (saved != null) {
      Tensors.release(saved.normalized(), saved.rstd());
    }
  }

  void addParameters(List<Parameter> out) {
    out.add(gain);
    out.add(shift);
  }
}
