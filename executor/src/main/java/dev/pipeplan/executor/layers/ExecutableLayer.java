package dev.pipeplan.executor.layers;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer that really computes: forward, then the backward split in two. {@link #backwardInput} (I)
 * turns the output gradient into the input gradient and keeps what the weight gradient needs;
 * {@link #backwardWeight} (W) adds this micro-batch's weight gradients into the parameters'
 * gradient buffers and frees the micro-batch's state. A fused backward (B) is I then W. Activations
 * are 2-D, one row per token (or per sample without a sequence).
 *
 * <p>A layer object is used by one worker thread at a time; its per-micro-batch state is keyed by
 * micro-batch index and looked up, never iterated.
 *
 * @param <C> the state a micro-batch keeps from forward to backward
 */
public abstract sealed class ExecutableLayer<C>
    permits EmbeddingLayer, TransformerBlockLayer, MlpLayer, LmHeadLayer {
  private final String name;
  private final DataType dataType;
  private final Map<Integer, C> saved = new HashMap<>();

  protected ExecutableLayer(String name, DataType dataType) {
    this.name = Objects.requireNonNull(name, "name");
    this.dataType = Objects.requireNonNull(dataType, "dataType");
  }

  public final String name() {
    return name;
  }

  public final DataType dataType() {
    return dataType;
  }

  /**
   * Runs forward for one micro-batch and keeps what its backward needs.
   *
   * @param microBatch the micro-batch index, unique among those in flight
   * @param input the previous layer's output, or {@code null} for a layer that reads the data
   *     itself
   * @param data the micro-batch's tokens and labels
   * @return the output; a loss layer returns its loss contribution as a 1x1 array
   */
  public final INDArray forward(int microBatch, INDArray input, MicroBatch data) {
    if (saved.containsKey(microBatch)) {
      throw new IllegalStateException(
          "layer " + name + " already holds a forward of micro-batch " + microBatch);
    }
    Forward<C> f = computeForward(input, data);
    saved.put(microBatch, f.state());
    return f.output();
  }

  /**
   * The input gradient of one micro-batch (I).
   *
   * @param outputGrad the gradient of the loss with respect to this layer's output; ignored by a
   *     loss layer
   * @return the gradient with respect to the input, or {@code null} when the input is not
   *     differentiable (tokens)
   */
  public final INDArray backwardInput(int microBatch, INDArray outputGrad) {
    return computeBackwardInput(state(microBatch), outputGrad);
  }

  /** Adds one micro-batch's weight gradients into the gradient buffers (W) and frees its state. */
  public final void backwardWeight(int microBatch) {
    computeBackwardWeight(state(microBatch));
    saved.remove(microBatch);
  }

  /**
   * Drops a micro-batch's state without computing gradients (after a failure, or in gradient
   * checks).
   */
  public final void discard(int microBatch) {
    saved.remove(microBatch);
  }

  /** Micro-batches whose state this layer still holds. */
  public final int heldMicroBatches() {
    return saved.size();
  }

  /** The trainable tensors, in a fixed order. */
  public abstract List<Parameter> parameters();

  /** Sets every gradient buffer to zero (start of an iteration). */
  public final void zeroGradients() {
    for (Parameter p : parameters()) {
      p.gradient().assign(0);
    }
  }

  /**
   * Whether the layer keeps its input tensor until W (and frees it there). Otherwise the caller
   * owns the input and may free it once forward returns. Every layer owns, and frees in W, the
   * output gradient it is given in I.
   */
  public boolean retainsInput() {
    return false;
  }

  /** Whether this layer ends the model with a loss. */
  public boolean isLoss() {
    return false;
  }

  protected abstract Forward<C> computeForward(INDArray input, MicroBatch data);

  protected abstract INDArray computeBackwardInput(C state, INDArray outputGrad);

  protected abstract void computeBackwardWeight(C state);

  private C state(int microBatch) {
    C state = saved.get(microBatch);
    if (state == null) {
      throw new IllegalStateException(
          "layer " + name + " has no forward of micro-batch " + microBatch + " to run backward on");
    }
    return state;
  }

  /**
   * What forward returns: the output and the state kept for backward.
   *
   * @param output the layer's output
   * @param state what backward needs
   * @param <C> the state's type
   */
  protected record Forward<C>(INDArray output, C state) {}
}
