package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Final norm (layer norm, or RMSNorm for a Llama-style model), projection to the vocabulary (no
 * bias, not tied) and softmax cross-entropy. F already computes the logits' gradient (scaled by 1 /
 * loss terms of the iteration) and keeps the per-token losses.
 */
public final class LmHeadLayer extends Layer<LmHeadLayer.State> {
  private final int vocab;
  private final Parts.Norm norm;
  private final Parts.Linear projection;
  private final List<Tensor> losses = new ArrayList<>();

  /** A head with a final layer norm (GPT-2). */
  public LmHeadLayer(Ops ops, String name, int hidden, int vocab, SplittableRandom random) {
    this(ops, name, hidden, vocab, NormKind.LAYER, random);
  }

  /** A head whose final norm is of {@code normKind}. */
  public LmHeadLayer(
      Ops ops, String name, int hidden, int vocab, NormKind normKind, SplittableRandom random) {
    super(name);
    this.vocab = vocab;
    this.norm = Parts.Norm.of(normKind, ops, name + ".norm", hidden);
    this.projection = new Parts.Linear(ops, name + ".proj", hidden, vocab, false, random);
  }

  static final class State {
    int rows;
    Tensor normed;
    Tensor normalized;
    Tensor rstd;
    Tensor logitsGrad;
    Tensor normedGrad;
  }

  @Override
  public boolean isLoss() {
    return true;
  }

  @Override
  protected State newState() {
    return new State();
  }

  @Override
  protected Tensor computeForward(Ops ops, State s, Tensor input, DeviceBatch data) {
    s.rows = data.rows();
    Tensor[] n = norm.forward(ops, input, s.rows);
    s.normed = n[0];
    s.normalized = n[1];
    s.rstd = n[2];
    s.logitsGrad = projection.forward(ops, s.normed, s.rows);
    Tensor terms = ops.alloc(s.rows);
    ops.launch(
        Kernel.CROSS_ENTROPY,
        s.rows,
        s.logitsGrad,
        data.labels(),
        terms,
        s.rows,
        vocab,
        (float) (1.0 / data.lossTerms()));
    return record(terms);
  }

  private Tensor record(Tensor terms) {
    losses.add(terms);
    return null;
  }

  /**
   * Every kept loss-term tensor, handed over to the caller (who frees them), in the order F ran.
   */
  public List<Tensor> takeAllLossTerms() {
    List<Tensor> out = new ArrayList<>(losses);
    losses.clear();
    return out;
  }

  @Override
  protected Tensor computeBackwardInput(Ops ops, State s, Tensor outputGrad) {
    s.normedGrad = projection.inputGradient(ops, s.logitsGrad, s.rows);
    Tensor dx = ops.alloc((long) s.rows * norm.features());
    norm.inputGradient(ops, s.normedGrad, s.normalized, s.rstd, dx, s.rows, false);
    ops.free(outputGrad);
    return dx;
  }

  @Override
  protected void computeBackwardWeight(Ops ops, State s) {
    projection.accumulateWeightGradient(ops, s.normed, s.logitsGrad, s.rows);
    norm.accumulateWeightGradient(ops, s.normedGrad, s.normalized, s.rows);
    ops.free(s.normed, s.normalized, s.rstd, s.logitsGrad, s.normedGrad);
  }

  @Override
  public List<Param> parameters() {
    List<Param> out = new ArrayList<>(3);
    norm.addTo(out);
    projection.addTo(out);
    return out;
  }
}
