package dev.pipeplan.executor.runtime;

import dev.pipeplan.executor.layers.ExecutableLayer;
import dev.pipeplan.executor.layers.MicroBatch;
import dev.pipeplan.executor.layers.Parameter;
import dev.pipeplan.executor.layers.Tensors;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The layers of one global virtual stage, run as one unit: forward through them in order, I back
 * through them in reverse, W over all of them. The last stage ends in a loss: the model's loss
 * layer, or, for a model that does not end in one, half the sum of squared outputs over the
 * iteration's loss terms.
 */
public final class StageModule {
  private final int stage;
  private final List<ExecutableLayer<?>> layers;
  private final boolean first;
  private final boolean last;
  private final Map<Integer, Double> losses = new HashMap<>();
  private final Map<Integer, INDArray> implicitLossGrads = new HashMap<>();

  public StageModule(int stage, List<ExecutableLayer<?>> layers, boolean first, boolean last) {
    this.stage = stage;
    this.layers = List.copyOf(Objects.requireNonNull(layers, "layers"));
    if (this.layers.isEmpty()) {
      throw new IllegalArgumentException("stage " + stage + " has no layers");
    }
    this.first = first;
    this.last = last;
  }

  public int stage() {
    return stage;
  }

  public boolean isFirst() {
    return first;
  }

  public boolean isLast() {
    return last;
  }

  public List<ExecutableLayer<?>> layers() {
    return layers;
  }

  /**
   * F: the stage's output, or {@code null} for the last stage (whose loss is kept). The stage takes
   * ownership of {@code input} (it frees it when no layer needs it any more); the caller owns the
   * output.
   */
  public INDArray forward(int microBatch, INDArray input, MicroBatch data) {
    INDArray x = input;
    for (ExecutableLayer<?> layer : layers) {
      INDArray out = layer.forward(microBatch, x, data);
      if (!layer.retainsInput()) {
        Tensors.release(x);
      }
      x = out;
    }
    if (!last) {
      return x;
    }
    if (layers.get(layers.size() - 1).isLoss()) {
      losses.put(microBatch, x.getDouble(0));
    } else {
      double scale = 1.0 / data.lossTerms();
      INDArray squares = x.mul(x);
      losses.put(microBatch, 0.5 * squares.sumNumber().doubleValue() * scale);
      Tensors.release(squares);
      implicitLossGrads.put(microBatch, x.mul(scale));
    }
    Tensors.release(x);
    return null;
  }

  /**
   * I: the gradient for the previous stage, or {@code null} for the first stage. The stage takes
   * ownership of {@code outputGrad}; the caller owns the result.
   */
  public INDArray backwardInput(int microBatch, INDArray outputGrad) {
    INDArray grad = last ? implicitLossGrads.remove(microBatch) : outputGrad;
    for (int i = layers.size() - 1; i >= 0; i--) {
      grad = layers.get(i).backwardInput(microBatch, grad);
      if (grad == null && i > 0) {
        throw new IllegalStateException(
            "layer "
                + layers.get(i).name()
                + " in the middle of stage "
                + stage
                + " returned no input gradient");
      }
    }
    return first ? null : grad;
  }

  /** W: adds this micro-batch's weight gradients and frees its state. */
  public void backwardWeight(int microBatch) {
    for (int i = layers.size() - 1; i >= 0; i--) {
      layers.get(i).backwardWeight(microBatch);
    }
  }

  /**
   * Sum of the losses of the micro-batches run since the last call, then forgets them (last stage
   * only).
   */
  public double drainLoss() {
    double sum = 0;
    for (int mb : new java.util.TreeSet<>(losses.keySet())) {
      sum += losses.get(mb);
    }
    losses.clear();
    return sum;
  }

  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    for (ExecutableLayer<?> layer : layers) {
      out.addAll(layer.parameters());
    }
    return out;
  }

  public void zeroGradients() {
    for (ExecutableLayer<?> layer : layers) {
      layer.zeroGradients();
    }
  }

  /** Drops every micro-batch's state (after a failed iteration). */
  public void discardAll(int microBatchCount) {
    for (ExecutableLayer<?> layer : layers) {
      for (int mb = 0; mb < microBatchCount; mb++) {
        layer.discard(mb);
      }
    }
    losses.clear();
    implicitLossGrads.clear();
  }

  /** Micro-batches whose state the stage's layers still hold, summed over layers. */
  public int heldStates() {
    int n = 0;
    for (ExecutableLayer<?> layer : layers) {
      n += layer.heldMicroBatches();
    }
    return n;
  }
}
