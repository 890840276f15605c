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
    return Tensors.normalizeBackward(dy.mulRowVector(gain.value()), saved.normalized(), saved.rstd());
  }

  void accumulateWeightGradient(Saved saved, INDArray dy) {
    gain.gradient().addi(dy.mul(saved.normalized()).sum(true, 0));
    shift.gradient().addi(dy.sum(true, 0));
  }

  void addParameters(List<Parameter> out) {
    out.add(gain);
    out.add(shift);
  }
}
