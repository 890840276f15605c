package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import dev.pipeplan.models.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The pre-norm block of the executor: {@code x2 = x + Attn(N1(x))}, {@code y = x2 + MLP(N2(x2))},
 * the norms layer norms (GPT-2) or RMSNorms (Llama), causal attention with grouped key/value heads
 * of width d (hidden / heads unless the model sets another: queries and the attention output are
 * then heads·d wide, not hidden), GELU or SwiGLU MLP, biases on the projections the model names.
 * Llama-style blocks rotate queries and keys by their position (rotary embeddings, Hugging Face's
 * rotate-half pairing of column p with p + d/2), after Qwen3's per-head RMSNorm of queries and keys
 * where the model has one. Attention runs on the {@code [tokens, heads * d]} activations in place:
 * for each sample and each position g within a key/value group, one strided batched product over
 * the key/value heads (query head {@code kv * group + g} reads key/value head {@code kv}), so no
 * head permutations are needed. Scores are {@code [samples, heads, seq, seq]}.
 */
public final class TransformerBlockLayer extends Layer<TransformerBlockLayer.State> {
  private final int hidden;
  private final int heads;
  private final int kvHeads;
  private final int headDim;
  private final int ffn;
  private final boolean gated;
  private final Style style;
  private final Parts.Norm norm1;
  private final Parts.Linear query;
  private final Parts.Linear key;
  private final Parts.Linear value;
  private final Parts.Norm queryNorm;
  private final Parts.Norm keyNorm;
  private final Parts.Linear output;
  private final Parts.Norm norm2;
  private final Parts.Linear up;
  private final Parts.Linear gate;
  private final Parts.Linear down;

  /**
   * A block whose heads split the hidden width, with biases on every projection or on none. Weights
   * are drawn from {@code random} in the CPU executor's order (q, k, v, o, up, gate, down).
   */
  public TransformerBlockLayer(
      Ops ops,
      String name,
      int hidden,
      int heads,
      int kvHeads,
      int ffn,
      boolean gated,
      boolean bias,
      SplittableRandom random) {
    this(
        ops,
        name,
        hidden,
        heads,
        kvHeads,
        dividedHeadDim(name, hidden, heads),
        ffn,
        gated,
        new Biases(bias, bias, bias),
        random);
  }

  /**
   * Which projections add a bias.
   *
   * @param qkv the query, key and value projections
   * @param output the attention's output projection
   * @param mlp the MLP's projections
   */
  public record Biases(boolean qkv, boolean output, boolean mlp) {}

  /**
   * How a block normalises and where it gets positions from.
   *
   * @param norm the two norms' kind
   * @param ropeTheta the rotary embedding's base; 0: no rotary embedding (the positions come from
   *     the embedding's table)
   * @param qkNorm a per-head RMSNorm of queries and keys before the rotation (Qwen3)
   */
  public record Style(NormKind norm, double ropeTheta, boolean qkNorm) {
    /** GPT-2's block: layer norms, learned positions. */
    public static final Style GPT = new Style(NormKind.LAYER, 0, false);

    public Style {
      java.util.Objects.requireNonNull(norm, "norm");
      if (!(ropeTheta == 0 || (ropeTheta >= 1 && Double.isFinite(ropeTheta)))) {
        throw new BadInputException("ropeTheta must be 0 (none) or >= 1, got " + ropeTheta);
      }
    }

    /** Llama's block: RMSNorms and rotary positions of base {@code ropeTheta}. */
    public static Style llama(double ropeTheta) {
      return new Style(NormKind.RMS, ropeTheta, false);
    }

    /** Whether queries and keys are rotated by their position. */
    public boolean rotary() {
      return ropeTheta > 0;
    }
  }

  /**
   * A GPT-style block ({@link Style#GPT}) with heads {@code headDim} wide and biases on {@code
   * biases}' projections.
   */
  public TransformerBlockLayer(
      Ops ops,
      String name,
      int hidden,
      int heads,
      int kvHeads,
      int headDim,
      int ffn,
      boolean gated,
      Biases biases,
      SplittableRandom random) {
    this(ops, name, hidden, heads, kvHeads, headDim, ffn, gated, biases, Style.GPT, random);
  }

  /**
   * A block with heads {@code headDim} wide, biases on {@code biases}' projections, norms and
   * positions as {@code style} says. Weights are drawn from {@code random} in the CPU executor's
   * order (q, k, v, o, up, gate, down); norms draw nothing.
   */
  public TransformerBlockLayer(
      Ops ops,
      String name,
      int hidden,
      int heads,
      int kvHeads,
      int headDim,
      int ffn,
      boolean gated,
      Biases biases,
      Style style,
      SplittableRandom random) {
    super(name);
    if (heads <= 0) {
      throw new BadInputException("layer " + name + ": heads must be > 0, got " + heads);
    }
    if (kvHeads <= 0 || heads % kvHeads != 0) {
      throw new BadInputException(
          "layer " + name + ": kvHeads (" + kvHeads + ") must divide heads (" + heads + ")");
    }
    if (headDim <= 0 || (long) heads * headDim > Integer.MAX_VALUE) {
      throw new BadInputException(
          "layer "
              + name
              + ": headDim ("
              + headDim
              + ") must be > 0 and heads x headDim at most "
              + Integer.MAX_VALUE);
    }
    if (style.rotary() && headDim % 2 != 0) {
      throw new BadInputException(
          "layer "
              + name
              + ": rotary position embeddings pair a head's columns, so headDim ("
              + headDim
              + ") must be even");
    }
    this.style = style;
    this.hidden = hidden;
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    this.ffn = ffn;
    this.gated = gated;
    int qWidth = heads * headDim;
    int kvWidth = kvHeads * headDim;
    this.norm1 = Parts.Norm.of(style.norm(), ops, name + ".ln1", hidden);
    this.query = new Parts.Linear(ops, name + ".q", hidden, qWidth, biases.qkv(), random);
    this.key = new Parts.Linear(ops, name + ".k", hidden, kvWidth, biases.qkv(), random);
    this.value = new Parts.Linear(ops, name + ".v", hidden, kvWidth, biases.qkv(), random);
    this.queryNorm = style.qkNorm() ? new Parts.RmsNorm(ops, name + ".qnorm", headDim) : null;
    this.keyNorm = style.qkNorm() ? new Parts.RmsNorm(ops, name + ".knorm", headDim) : null;
    this.output = new Parts.Linear(ops, name + ".o", qWidth, hidden, biases.output(), random);
    this.norm2 = Parts.Norm.of(style.norm(), ops, name + ".ln2", hidden);
    this.up = new Parts.Linear(ops, name + ".up", hidden, ffn, biases.mlp(), random);
    this.gate =
        gated ? new Parts.Linear(ops, name + ".gate", hidden, ffn, biases.mlp(), random) : null;
    this.down = new Parts.Linear(ops, name + ".down", ffn, hidden, biases.mlp(), random);
  }

  private static int dividedHeadDim(String name, int hidden, int heads) {
    if (heads <= 0 || hidden % heads != 0) {
      throw new BadInputException(
          "layer " + name + ": heads (" + heads + ") must divide hidden (" + hidden + ")");
    }
    return hidden / heads;
  }

  static final class State {
    int samples;
    int seq;
    int rows;
    Tensor normed1;
    Tensor normalized1;
    Tensor rstd1;
    Tensor q;
    Tensor k;
    Tensor v;
    Tensor qNormalized;
    Tensor qRstd;
    Tensor kNormalized;
    Tensor kRstd;
    Tensor qNormGrad;
    Tensor kNormGrad;
    Tensor probabilities;
    Tensor context;
    Tensor normed2;
    Tensor normalized2;
    Tensor rstd2;
    Tensor upOut;
    Tensor gateOut;
    Tensor activation;
    Tensor outputGrad;
    Tensor upGrad;
    Tensor gateGrad;
    Tensor normed2Grad;
    Tensor x2Grad;
    Tensor qGrad;
    Tensor kGrad;
    Tensor vGrad;
    Tensor normed1Grad;
  }

  @Override
  protected State newState() {
    return new State();
  }

  @Override
  protected Tensor computeForward(Ops ops, State s, Tensor x, DeviceBatch data) {
    s.samples = data.samples();
    s.seq = data.sequenceLength();
    s.rows = data.rows();
    int rows = s.rows;
    Tensor[] n1 = norm1.forward(ops, x, rows);
    s.normed1 = n1[0];
    s.normalized1 = n1[1];
    s.rstd1 = n1[2];
    s.q = query.forward(ops, s.normed1, rows);
    s.k = key.forward(ops, s.normed1, rows);
    s.v = value.forward(ops, s.normed1, rows);
    if (style.qkNorm()) {
      Tensor[] qn = queryNorm.forward(ops, s.q, rows * heads);
      Tensor[] kn = keyNorm.forward(ops, s.k, rows * kvHeads);
      ops.free(s.q, s.k);
      s.q = qn[0];
      s.qNormalized = qn[1];
      s.qRstd = qn[2];
      s.k = kn[0];
      s.kNormalized = kn[1];
      s.kRstd = kn[2];
    }
    if (style.rotary()) {
      rotate(ops, s.q, rows, s.seq, heads, false);
      rotate(ops, s.k, rows, s.seq, kvHeads, false);
    }
    s.probabilities = ops.alloc((long) s.samples * heads * s.seq * s.seq);
    s.context = ops.alloc((long) rows * heads * headDim);
    attentionForward(ops, s);
    Tensor x2 = output.forward(ops, s.context, rows);
    ops.launch(Kernel.ADD, (long) rows * hidden, x2, x, (long) rows * hidden);
    Tensor[] n2 = norm2.forward(ops, x2, rows);
    s.normed2 = n2[0];
    s.normalized2 = n2[1];
    s.rstd2 = n2[2];
    s.upOut = up.forward(ops, s.normed2, rows);
    long inner = (long) rows * ffn;
    s.activation = ops.alloc(inner);
    if (gated) {
      s.gateOut = gate.forward(ops, s.normed2, rows);
      ops.launch(Kernel.SWIGLU_FORWARD, inner, s.upOut, s.gateOut, s.activation, inner);
    } else {
      ops.launch(Kernel.GELU_FORWARD, inner, s.upOut, s.activation, inner);
    }
    Tensor y = down.forward(ops, s.activation, rows);
    ops.launch(Kernel.ADD, (long) rows * hidden, y, x2, (long) rows * hidden);
    ops.free(x2);
    return y;
  }

  /** Rotates each head's column pairs by their token's position (or back, {@code inverse}). */
  private void rotate(Ops ops, Tensor x, int rows, int seq, int headCount, boolean inverse) {
    ops.launch(
        Kernel.ROPE,
        (long) rows * headCount * (headDim / 2),
        x,
        rows,
        seq,
        headCount,
        headDim,
        (float) style.ropeTheta(),
        inverse ? 1 : 0);
  }

  private void attentionForward(Ops ops, State s) {
    int group = heads / kvHeads;
    int qWidth = heads * headDim;
    int kvWidth = kvHeads * headDim;
    long square = (long) s.seq * s.seq;
    for (int i = 0; i < s.samples; i++) {
      long qBase = (long) i * s.seq * qWidth;
      long kvBase = (long) i * s.seq * kvWidth;
      for (int g = 0; g < group; g++) {
        long scoreBase = ((long) i * heads + g) * square;
        // scores[h] = Q_h K_kv^T, h = kv * group + g
        ops.gemmBatched(
            false,
            true,
            s.seq,
            s.seq,
            headDim,
            1f,
            s.q,
            qBase + (long) g * headDim,
            qWidth,
            (long) group * headDim,
            s.k,
            kvBase,
            kvWidth,
            headDim,
            0f,
            s.probabilities,
            scoreBase,
            s.seq,
            group * square,
            kvHeads);
      }
    }
    ops.launch(
        Kernel.CAUSAL_SOFTMAX,
        (long) s.samples * heads * s.seq,
        s.probabilities,
        s.samples * heads * s.seq,
        s.seq,
        (float) (1.0 / Math.sqrt(headDim)));
    for (int i = 0; i < s.samples; i++) {
      long qBase = (long) i * s.seq * qWidth;
      long kvBase = (long) i * s.seq * kvWidth;
      for (int g = 0; g < group; g++) {
        long scoreBase = ((long) i * heads + g) * square;
        // context_h = P_h V_kv
        ops.gemmBatched(
            false,
            false,
            s.seq,
            headDim,
            s.seq,
            1f,
            s.probabilities,
            scoreBase,
            s.seq,
            group * square,
            s.v,
            kvBase,
            kvWidth,
            headDim,
            0f,
            s.context,
            qBase + (long) g * headDim,
            qWidth,
            (long) group * headDim,
            kvHeads);
      }
    }
  }

  @Override
  protected Tensor computeBackwardInput(Ops ops, State s, Tensor dy) {
    int rows = s.rows;
    long width = (long) rows * hidden;
    long inner = (long) rows * ffn;
    s.outputGrad = dy;
    Tensor activationGrad = down.inputGradient(ops, dy, rows);
    s.normed2Grad = ops.alloc(width);
    if (gated) {
      s.upGrad = ops.alloc(inner);
      s.gateGrad = ops.alloc(inner);
      ops.launch(
          Kernel.SWIGLU_BACKWARD,
          inner,
          s.upOut,
          s.gateOut,
          activationGrad,
          s.upGrad,
          s.gateGrad,
          inner);
      ops.free(activationGrad);
      up.inputGradient(ops, s.upGrad, rows, s.normed2Grad, 0f);
      gate.inputGradient(ops, s.gateGrad, rows, s.normed2Grad, 1f);
    } else {
      ops.launch(Kernel.GELU_BACKWARD, inner, s.upOut, activationGrad, inner);
      s.upGrad = activationGrad;
      up.inputGradient(ops, s.upGrad, rows, s.normed2Grad, 0f);
    }
    s.x2Grad = ops.alloc(width);
    ops.copy(dy, s.x2Grad);
    norm2.inputGradient(ops, s.normed2Grad, s.normalized2, s.rstd2, s.x2Grad, rows, true);

    Tensor contextGrad = output.inputGradient(ops, s.x2Grad, rows);
    s.qGrad = ops.alloc((long) rows * heads * headDim);
    s.kGrad = ops.alloc((long) rows * kvHeads * headDim);
    s.vGrad = ops.alloc((long) rows * kvHeads * headDim);
    attentionBackward(ops, s, contextGrad);
    ops.free(contextGrad);
    if (style.rotary()) {
      rotate(ops, s.qGrad, rows, s.seq, heads, true);
      rotate(ops, s.kGrad, rows, s.seq, kvHeads, true);
    }
    if (style.qkNorm()) {
      // W needs the gradients at the norms' outputs for their gains
      s.qNormGrad = s.qGrad;
      s.kNormGrad = s.kGrad;
      s.qGrad = ops.alloc((long) rows * heads * headDim);
      s.kGrad = ops.alloc((long) rows * kvHeads * headDim);
      queryNorm.inputGradient(
          ops, s.qNormGrad, s.qNormalized, s.qRstd, s.qGrad, rows * heads, false);
      keyNorm.inputGradient(
          ops, s.kNormGrad, s.kNormalized, s.kRstd, s.kGrad, rows * kvHeads, false);
    }

    s.normed1Grad = ops.alloc(width);
    query.inputGradient(ops, s.qGrad, rows, s.normed1Grad, 0f);
    key.inputGradient(ops, s.kGrad, rows, s.normed1Grad, 1f);
    value.inputGradient(ops, s.vGrad, rows, s.normed1Grad, 1f);
    Tensor dx = ops.alloc(width);
    ops.copy(s.x2Grad, dx);
    norm1.inputGradient(ops, s.normed1Grad, s.normalized1, s.rstd1, dx, rows, true);
    // W needs only the linear maps' inputs and output gradients
    ops.free(s.q, s.k, s.v, s.probabilities, s.upOut, s.gateOut);
    s.q = null;
    s.k = null;
    s.v = null;
    s.probabilities = null;
    s.upOut = null;
    s.gateOut = null;
    return dx;
  }

  private void attentionBackward(Ops ops, State s, Tensor contextGrad) {
    int group = heads / kvHeads;
    int qWidth = heads * headDim;
    int kvWidth = kvHeads * headDim;
    long square = (long) s.seq * s.seq;
    Tensor scoresGrad = ops.alloc((long) s.samples * heads * square);
    for (int i = 0; i < s.samples; i++) {
      long qBase = (long) i * s.seq * qWidth;
      long kvBase = (long) i * s.seq * kvWidth;
      for (int g = 0; g < group; g++) {
        long scoreBase = ((long) i * heads + g) * square;
        long qOffset = qBase + (long) g * headDim;
        // dP_h = dC_h V_kv^T
        ops.gemmBatched(
            false,
            true,
            s.seq,
            s.seq,
            headDim,
            1f,
            contextGrad,
            qOffset,
            qWidth,
            (long) group * headDim,
            s.v,
            kvBase,
            kvWidth,
            headDim,
            0f,
            scoresGrad,
            scoreBase,
            s.seq,
            group * square,
            kvHeads);
        // dV_kv (+)= P_h^T dC_h, summed over the group
        ops.gemmBatched(
            true,
            false,
            s.seq,
            headDim,
            s.seq,
            1f,
            s.probabilities,
            scoreBase,
            s.seq,
            group * square,
            contextGrad,
            qOffset,
            qWidth,
            (long) group * headDim,
            g == 0 ? 0f : 1f,
            s.vGrad,
            kvBase,
            kvWidth,
            headDim,
            kvHeads);
      }
    }
    ops.launch(
        Kernel.SOFTMAX_BACKWARD,
        (long) s.samples * heads * s.seq,
        s.probabilities,
        scoresGrad,
        s.samples * heads * s.seq,
        s.seq,
        (float) (1.0 / Math.sqrt(headDim)));
    for (int i = 0; i < s.samples; i++) {
      long qBase = (long) i * s.seq * qWidth;
      long kvBase = (long) i * s.seq * kvWidth;
      for (int g = 0; g < group; g++) {
        long scoreBase = ((long) i * heads + g) * square;
        long qOffset = qBase + (long) g * headDim;
        // dQ_h = dS_h K_kv
        ops.gemmBatched(
            false,
            false,
            s.seq,
            headDim,
            s.seq,
            1f,
            scoresGrad,
            scoreBase,
            s.seq,
            group * square,
            s.k,
            kvBase,
            kvWidth,
            headDim,
            0f,
            s.qGrad,
            qOffset,
            qWidth,
            (long) group * headDim,
            kvHeads);
        // dK_kv (+)= dS_h^T Q_h
        ops.gemmBatched(
            true,
            false,
            s.seq,
            headDim,
            s.seq,
            1f,
            scoresGrad,
            scoreBase,
            s.seq,
            group * square,
            s.q,
            qOffset,
            qWidth,
            (long) group * headDim,
            g == 0 ? 0f : 1f,
            s.kGrad,
            kvBase,
            kvWidth,
            headDim,
            kvHeads);
      }
    }
    ops.free(scoresGrad);
  }

  @Override
  protected void computeBackwardWeight(Ops ops, State s) {
    int rows = s.rows;
    down.accumulateWeightGradient(ops, s.activation, s.outputGrad, rows);
    up.accumulateWeightGradient(ops, s.normed2, s.upGrad, rows);
    if (gated) {
      gate.accumulateWeightGradient(ops, s.normed2, s.gateGrad, rows);
    }
    norm2.accumulateWeightGradient(ops, s.normed2Grad, s.normalized2, rows);
    output.accumulateWeightGradient(ops, s.context, s.x2Grad, rows);
    if (style.qkNorm()) {
      queryNorm.accumulateWeightGradient(ops, s.qNormGrad, s.qNormalized, rows * heads);
      keyNorm.accumulateWeightGradient(ops, s.kNormGrad, s.kNormalized, rows * kvHeads);
    }
    query.accumulateWeightGradient(ops, s.normed1, s.qGrad, rows);
    key.accumulateWeightGradient(ops, s.normed1, s.kGrad, rows);
    value.accumulateWeightGradient(ops, s.normed1, s.vGrad, rows);
    norm1.accumulateWeightGradient(ops, s.normed1Grad, s.normalized1, rows);
    ops.free(
        s.activation,
        s.outputGrad,
        s.normed2,
        s.upGrad,
        s.gateGrad,
        s.normed2Grad,
        s.context,
        s.x2Grad,
        s.normed1,
        s.qGrad,
        s.kGrad,
        s.vGrad,
        s.normed1Grad,
        s.normalized1,
        s.rstd1,
        s.normalized2,
        s.rstd2,
        s.qNormalized,
        s.qRstd,
        s.kNormalized,
        s.kRstd,
        s.qNormGrad,
        s.kNormGrad);
  }

  @Override
  public List<Param> parameters() {
    List<Param> out = new ArrayList<>(20);
    norm1.addTo(out);
    query.addTo(out);
    key.addTo(out);
    value.addTo(out);
    if (style.qkNorm()) {
      queryNorm.addTo(out);
      keyNorm.addTo(out);
    }
    output.addTo(out);
    norm2.addTo(out);
    up.addTo(out);
    if (gated) {
      gate.addTo(out);
    }
    down.addTo(out);
    return out;
  }
}
