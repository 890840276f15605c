package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The layers of one global virtual stage, run as one unit on one {@link Ops}: forward through them
 * in order, I back through them in reverse, W over all of them. The last stage ends in a loss: the
 * model's loss layer, or, for a model that does not end in one, half the sum of squared outputs
 * over the iteration's loss terms. Both backends run their stages through it: the CPU's workers,
 * which read each micro-batch's loss in its F (a host read is free there), and the CUDA stream
 * pipeline, which defers the loss ({@code deferLoss}) to one read after the iteration, because a
 * host read inside F would stall the thread that issues every stream's work.
 */
public final class StageModule {
  private final int stage;
  private final Ops ops;
  private final List<Layer<?>> layers;
  private final boolean first;
  private final boolean last;
  private final boolean deferLoss;
  private final Map<Integer, Double> losses = new HashMap<>();
  private final Map<Integer, Tensor> implicitLossGrads = new HashMap<>();

  /** A stage that reads each micro-batch's loss in its F. */
  public StageModule(int stage, Ops ops, List<Layer<?>> layers, boolean first, boolean last) {
    this(stage, ops, layers, first, last, false);
  }

  /**
   * @param deferLoss whether the last stage leaves its loss layer's terms on the device until
   *     {@link #drainLoss} (no host read inside F); a last stage without a loss layer cannot defer,
   *     because its implicit loss's gradient is computed on the host
   */
  public StageModule(
      int stage, Ops ops, List<Layer<?>> layers, boolean first, boolean last, boolean deferLoss) {
    this.stage = stage;
    this.deferLoss = deferLoss;
    this.ops = Objects.requireNonNull(ops, "ops");
    this.layers = List.copyOf(Objects.requireNonNull(layers, "layers"));
    if (this.layers.isEmpty()) {
      throw new IllegalArgumentException("stage " + stage + " has no layers");
    }
    this.first = first;
    this.last = last;
    if (deferLoss && last && !this.layers.get(this.layers.size() - 1).isLoss()) {
      throw new IllegalArgumentException(
          "stage "
              + stage
              + " cannot defer its loss: it ends in "
              + this.layers.get(this.layers.size() - 1).name()
              + ", not a loss layer");
    }
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

  public List<Layer<?>> layers() {
    return layers;
  }

  /**
   * F: the stage's output, or {@code null} for the last stage (whose loss is kept). The stage takes
   * ownership of {@code input} (it frees it once the first layer has run); the caller owns the
   * output.
   */
  public Tensor forward(int microBatch, Tensor input, DeviceBatch data) {
    Tensor x = input;
    for (Layer<?> layer : layers) {
      Tensor out = layer.forward(ops, microBatch, x, data);
      ops.free(x);
      x = out;
    }
    if (!last) {
      return x;
    }
    Layer<?> end = layers.get(layers.size() - 1);
    if (end.isLoss() && deferLoss) {
      return null;
    }
    if (end.isLoss()) {
      double loss = 0;
      for (Tensor terms : ((LmHeadLayer) end).takeAllLossTerms()) {
        loss += ops.sum(terms);
        ops.free(terms);
      }
      losses.put(microBatch, loss);
    } else {
      double scale = 1.0 / data.lossTerms();
      float[] y = ops.download(x);
      double squares = 0;
      float[] grad = new float[y.length];
      for (int i = 0; i < y.length; i++) {
        squares += (double) y[i] * y[i];
        grad[i] = (float) (y[i] * scale);
      }
      losses.put(microBatch, 0.5 * squares * scale);
      implicitLossGrads.put(microBatch, ops.upload(grad));
      ops.free(x);
    }
    return null;
  }

  /**
   * I: the gradient for the previous stage, or {@code null} for the first stage. The stage takes
   * ownership of {@code outputGrad}; the caller owns the result.
   */
  public Tensor backwardInput(int microBatch, Tensor outputGrad) {
    Tensor grad = last ? implicitLossGrads.remove(microBatch) : outputGrad;
    for (int i = layers.size() - 1; i >= 0; i--) {
      grad = layers.get(i).backwardInput(ops, microBatch, grad);
      if (grad == null && i > 0) {
        throw new IllegalStateException(
            "layer "
                + layers.get(i).name()
                + " in the middle of stage "
                + stage
                + " returned no input gradient");
      }
    }
    if (first) {
      ops.free(grad);
      return null;
    }
    return grad;
  }

  /** W: adds this micro-batch's weight gradients and frees its state. */
  public void backwardWeight(int microBatch) {
    for (int i = layers.size() - 1; i >= 0; i--) {
      layers.get(i).backwardWeight(ops, microBatch);
    }
  }

  /**
   * Sum of the losses of the micro-batches run since the last call, then forgets them (last stage
   * only).
   */
  public double drainLoss() {
    double sum = 0;
    if (deferLoss && last) {
      for (Tensor terms : ((LmHeadLayer) layers.get(layers.size() - 1)).takeAllLossTerms()) {
        sum += ops.sum(terms);
        ops.free(terms);
      }
      return sum;
    }
    for (int mb : new java.util.TreeSet<>(losses.keySet())) {
      sum += losses.get(mb);
    }
    losses.clear();
    return sum;
  }

  public List<Param> parameters() {
    List<Param> out = new ArrayList<>();
    for (Layer<?> layer : layers) {
      out.addAll(layer.parameters());
    }
    return out;
  }

  public void zeroGradients() {
    for (Layer<?> layer : layers) {
      layer.zeroGradients(ops);
    }
  }

  /** Drops every micro-batch's state (after a failed iteration). */
  public void discardAll(int microBatchCount) {
    for (Layer<?> layer : layers) {
      for (int mb = 0; mb < microBatchCount; mb++) {
        layer.discard(mb);
      }
    }
    losses.clear();
    implicitLossGrads.clear();
  }

  /** Frees the layers' parameters (and optimizer state); the stage is not used again. */
  public void release() {
    for (Layer<?> layer : layers) {
      layer.release(ops);
    }
  }

  /** Micro-batches whose state the stage's layers still hold, summed over layers. */
  public int heldStates() {
    int n = 0;
    for (Layer<?> layer : layers) {
      n += layer.heldMicroBatches();
    }
    return n;
  }
}
