package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A layer with forward (F), input gradient (I) and weight gradient (W). F does not take its input
 * (the caller frees it); I takes the output gradient (the layer frees it by the end of W); W adds
 * into the gradient buffers and frees the micro-batch's state. A loss layer's F returns {@code
 * null} and keeps the loss.
 *
 * @param <S> what a micro-batch keeps from F to W
 */
public abstract sealed class Layer<S>
    permits EmbeddingLayer, TransformerBlockLayer, MlpLayer, LmHeadLayer {
  private final String name;
  private final Map<Integer, S> states = new HashMap<>();

  protected Layer(String name) {
    this.name = Objects.requireNonNull(name, "name");
  }

  public final String name() {
    return name;
  }

  public final Tensor forward(Ops ops, int microBatch, Tensor input, DeviceBatch data) {
    if (states.containsKey(microBatch)) {
      throw new IllegalStateException("layer " + name + " already holds micro-batch " + microBatch);
    }
    S state = newState();
    Tensor out = computeForward(ops, state, input, data);
    states.put(microBatch, state);
    return out;
  }

  public final Tensor backwardInput(Ops ops, int microBatch, Tensor outputGrad) {
    return computeBackwardInput(ops, state(microBatch), outputGrad);
  }

  public final void backwardWeight(Ops ops, int microBatch) {
    computeBackwardWeight(ops, state(microBatch));
    states.remove(microBatch);
  }

  /**
   * Forgets a micro-batch's state without running its backward (after a failed iteration); its
   * buffers are left to the backend's collector.
   */
  public final void discard(int microBatch) {
    states.remove(microBatch);
  }

  /** Sets every parameter's gradient to zero (before an iteration). */
  public final void zeroGradients(Ops ops) {
    for (Param p : parameters()) {
      ops.zero(p.gradient());
    }
  }

  /** Micro-batches whose state is held. */
  public final int heldMicroBatches() {
    return states.size();
  }

  public abstract List<Param> parameters();

  public boolean isLoss() {
    return false;
  }

  /** Frees the parameters. */
  public void release(Ops ops) {
    for (Param p : parameters()) {
      p.release(ops);
    }
  }

  protected abstract S newState();

  protected abstract Tensor computeForward(Ops ops, S state, Tensor input, DeviceBatch data);

  protected abstract Tensor computeBackwardInput(Ops ops, S state, Tensor outputGrad);

  protected abstract void computeBackwardWeight(Ops ops, S state);

  private S state(int microBatch) {
    S s = states.get(microBatch);
    if (s == null) {
      throw new IllegalStateException(
          "layer " + name + " has no forward of micro-batch " + microBatch);
    }
    return s;
  }
}
