package dev.pipeplan.executor.layers;

import dev.pipeplan.models.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A pre-LN transformer block: {@code x2 = x + Attn(LN1(x))}, {@code y = x2 + MLP(LN2(x2))}.
 * Attention is causal multi-head attention whose keys and values may have fewer heads than the
 * queries (grouped-query attention: query head h reads key/value head {@code h / (heads /
 * kvHeads)}). The MLP is GELU, or SwiGLU when gated.
 */
public final class TransformerBlockLayer extends ExecutableLayer<TransformerBlockLayer.State> {
  private static final double MASKED = -1e9;

  private final int hidden;
  private final int heads;
  private final int kvHeads;
  private final int headDim;
  private final boolean gated;
  private final LayerNorm norm1;
  private final Linear query;
  private final Linear key;
  private final Linear value;
  private final Linear output;
  private final LayerNorm norm2;
  private final Linear up;
  private final Linear gate;
  private final Linear down;
  private INDArray mask;

  /**
   * Builds the block; weights come from {@code random} in a fixed order.
   *
   * @param hidden model width
   * @param heads query heads; must divide {@code hidden}
   * @param kvHeads key/value heads; must divide {@code heads}
   * @param ffn MLP width
   * @param gated SwiGLU instead of GELU
   * @param bias whether the linear maps have biases
   */
  public TransformerBlockLayer(
      String name,
      int hidden,
      int heads,
      int kvHeads,
      int ffn,
      boolean gated,
      boolean bias,
      SplittableRandom random,
      DataType dataType) {
    super(name, dataType);
    if (heads <= 0 || hidden % heads != 0) {
      throw new BadInputException(
          "layer " + name + ": heads (" + heads + ") must divide hidden (" + hidden + ")");
    }
    if (kvHeads <= 0 || heads % kvHeads != 0) {
      throw new BadInputException(
          "layer " + name + ": kvHeads (" + kvHeads + ") must divide heads (" + heads + ")");
    }
    this.hidden = hidden;
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.headDim = hidden / heads;
    this.gated = gated;
    double std = Tensors.INIT_STD;
    this.norm1 = new LayerNorm(name + ".ln1", hidden, dataType);
    this.query = new Linear(name + ".q", hidden, hidden, bias, random, std, dataType);
    this.key =
        new Linear(name + ".k", hidden, (long) kvHeads * headDim, bias, random, std, dataType);
    this.value =
        new Linear(name + ".v", hidden, (long) kvHeads * headDim, bias, random, std, dataType);
    this.output = new Linear(name + ".o", hidden, hidden, bias, random, std, dataType);
    this.norm2 = new LayerNorm(name + ".ln2", hidden, dataType);
    this.up = new Linear(name + ".up", hidden, ffn, bias, random, std, dataType);
    this.gate = gated ? new Linear(name + ".gate", hidden, ffn, bias, random, std, dataType) : null;
    this.down = new Linear(name + ".down", ffn, hidden, bias, random, std, dataType);
  }

  /** What a micro-batch keeps; fields that W does not need are dropped by I. */
  static final class State {
    int samples;
    int sequenceLength;
    LayerNorm.Saved norm1;
    INDArray normed1;
    INDArray q;
    INDArray k;
    INDArray v;
    INDArray probabilities;
    INDArray context;
    LayerNorm.Saved norm2;
    INDArray normed2;
    INDArray upOut;
    INDArray gateOut;
    INDArray activation;
    // set by I for W
    INDArray outputGrad;
    INDArray upGrad;
    INDArray gateGrad;
    INDArray normed2Grad;
    INDArray contextOutGrad;
    INDArray qGrad;
    INDArray kGrad;
    INDArray vGrad;
    INDArray normed1Grad;
  }

  @Override
  protected Forward<State> computeForward(INDArray x, MicroBatch data) {
    State s = new State();
    s.samples = data.samples();
    s.sequenceLength = data.sequenceLength();
    LayerNorm.Saved[] saved = new LayerNorm.Saved[1];
    s.normed1 = norm1.forward(x, saved);
    s.norm1 = saved[0];
    s.q = headsOf(query.forward(s.normed1), heads, s);
    s.k = expandKv(headsOf(key.forward(s.normed1), kvHeads, s), s);
    s.v = expandKv(headsOf(value.forward(s.normed1), kvHeads, s), s);
    INDArray scores =
        Nd4j.matmul(s.q, s.k, null, false, true, false).muli(1.0 / Math.sqrt(headDim));
    scores.addi(causalMask(s.sequenceLength));
    s.probabilities = Tensors.softmaxLast(scores);
    Tensors.release(scores);
    INDArray headContext = Nd4j.matmul(s.probabilities, s.v);
    s.context = fromHeads(headContext, heads, s);
    Tensors.release(headContext);
    INDArray x2 = output.forward(s.context).addi(x);
    s.normed2 = norm2.forward(x2, saved);
    s.norm2 = saved[0];
    s.upOut = up.forward(s.normed2);
    if (gated) {
      s.gateOut = gate.forward(s.normed2);
      s.activation = Tensors.silu(s.gateOut).muli(s.upOut);
    } else {
      s.activation = Tensors.gelu(s.upOut);
    }
    INDArray y = down.forward(s.activation).addi(x2);
    Tensors.release(x2);
    return new Forward<>(y, s);
  }

  @Override
  protected INDArray computeBackwardInput(State s, INDArray dy) {
    s.outputGrad = dy;
    INDArray activationGrad = down.inputGradient(dy);
    INDArray normed2Grad;
    if (gated) {
      INDArray silu = Tensors.silu(s.gateOut);
      INDArray siluGrad = Tensors.siluDerivative(s.gateOut);
      s.upGrad = activationGrad.mul(silu);
      s.gateGrad = activationGrad.muli(s.upOut).muli(siluGrad);
      Tensors.release(silu, siluGrad);
      INDArray fromUp = up.inputGradient(s.upGrad);
      INDArray fromGate = gate.inputGradient(s.gateGrad);
      normed2Grad = fromUp.addi(fromGate);
      Tensors.release(fromGate);
    } else {
      INDArray geluGrad = Tensors.geluDerivative(s.upOut);
      s.upGrad = activationGrad.muli(geluGrad);
      Tensors.release(geluGrad);
      normed2Grad = up.inputGradient(s.upGrad);
    }
    s.normed2Grad = normed2Grad;
    INDArray x2Grad = norm2.inputGradient(s.norm2, normed2Grad).addi(dy);

    s.contextOutGrad = x2Grad;
    INDArray contextGrad2d = output.inputGradient(x2Grad);
    INDArray contextGrad = headsOf(contextGrad2d, heads, s);
    INDArray probabilitiesGrad = Nd4j.matmul(contextGrad, s.v, null, false, true, false);
    INDArray vGrad = Nd4j.matmul(s.probabilities, contextGrad, null, true, false, false);
    Tensors.release(contextGrad);
    INDArray product = probabilitiesGrad.mul(s.probabilities);
    INDArray rowDot = product.sum(true, 2);
    Tensors.release(product);
    INDArray scoresGrad =
        probabilitiesGrad.subi(rowDot).muli(s.probabilities).muli(1.0 / Math.sqrt(headDim));
    Tensors.release(rowDot);
    INDArray qGrad = Nd4j.matmul(scoresGrad, s.k);
    INDArray kGrad = Nd4j.matmul(scoresGrad, s.q, null, true, false, false);
    Tensors.release(scoresGrad);
    s.qGrad = fromHeads(qGrad, heads, s);
    Tensors.release(qGrad);
    INDArray kReduced = reduceKv(kGrad, s);
    s.kGrad = fromHeads(kReduced, kvHeads, s);
    INDArray vReduced = reduceKv(vGrad, s);
    s.vGrad = fromHeads(vReduced, kvHeads, s);
    Tensors.release(kGrad, kReduced, vGrad, vReduced);
    INDArray fromK = key.inputGradient(s.kGrad);
    INDArray fromV = value.inputGradient(s.vGrad);
    s.normed1Grad = query.inputGradient(s.qGrad).addi(fromK).addi(fromV);
    Tensors.release(fromK, fromV);
    INDArray xGrad = norm1.inputGradient(s.norm1, s.normed1Grad).addi(x2Grad);
    // W needs only the linear maps' inputs and output gradients
    Tensors.release(s.q, s.k, s.v, s.probabilities, s.upOut, s.gateOut);
    s.q = null;
    s.k = null;
    s.v = null;
    s.probabilities = null;
    s.upOut = null;
    s.gateOut = null;
    return xGrad;
  }

  @Override
  protected void computeBackwardWeight(State s) {
    down.accumulateWeightGradient(s.activation, s.outputGrad);
    up.accumulateWeightGradient(s.normed2, s.upGrad);
    if (gated) {
      gate.accumulateWeightGradient(s.normed2, s.gateGrad);
    }
    norm2.accumulateWeightGradient(s.norm2, s.normed2Grad);
    output.accumulateWeightGradient(s.context, s.contextOutGrad);
    query.accumulateWeightGradient(s.normed1, s.qGrad);
    key.accumulateWeightGradient(s.normed1, s.kGrad);
    value.accumulateWeightGradient(s.normed1, s.vGrad);
    norm1.accumulateWeightGradient(s.norm1, s.normed1Grad);
    Tensors.release(
        s.activation,
        s.outputGrad,
        s.normed2,
        s.upGrad,
        s.gateGrad,
        s.normed2Grad,
        s.context,
        s.contextOutGrad,
        s.normed1,
        s.qGrad,
        s.kGrad,
        s.vGrad,
        s.normed1Grad);
    LayerNorm.release(s.norm1);
    LayerNorm.release(s.norm2);
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>(18);
    norm1.addParameters(out);
    query.addParameters(out);
    key.addParameters(out);
    value.addParameters(out);
    output.addParameters(out);
    norm2.addParameters(out);
    up.addParameters(out);
    if (gated) {
      gate.addParameters(out);
    }
    down.addParameters(out);
    return out;
  }

  /** [rows, h*d] to [samples*h, seq, d]; frees the 2-D input, which the caller created for this. */
  private INDArray headsOf(INDArray x, int headCount, State s) {
    INDArray out =
        x.reshape('c', s.samples, s.sequenceLength, headCount, headDim)
            .permute(0, 2, 1, 3)
            .dup('c')
            .reshape('c', (long) s.samples * headCount, s.sequenceLength, headDim);
    Tensors.release(x);
    return out;
  }

  /** [samples*h, seq, d] to [rows, h*d]. */
  private INDArray fromHeads(INDArray x, int headCount, State s) {
    return x.reshape('c', s.samples, headCount, s.sequenceLength, headDim)
        .permute(0, 2, 1, 3)
        .dup('c')
        .reshape('c', (long) s.samples * s.sequenceLength, (long) headCount * headDim);
  }

  /**
   * Key/value heads repeated so that each query head has its own: [samples*kv, ...] to
   * [samples*heads, ...].
   */
  private INDArray expandKv(INDArray kv, State s) {
    if (kvHeads == heads) {
      return kv;
    }
    int group = heads / kvHeads;
    INDArray grouped =
        kv.reshape('c', (long) s.samples * kvHeads, 1, (long) s.sequenceLength * headDim);
    INDArray repeated =
        Nd4j.zeros(
                kv.dataType(), (long) s.samples * kvHeads, group, (long) s.sequenceLength * headDim)
            .addi(grouped);
    Tensors.release(kv);
    return repeated.reshape('c', (long) s.samples * heads, s.sequenceLength, headDim);
  }

  /**
   * The transpose of {@link #expandKv}: gradients of the query heads that share a key/value head
   * are summed.
   */
  private INDArray reduceKv(INDArray grad, State s) {
    if (kvHeads == heads) {
      return grad;
    }
    int group = heads / kvHeads;
    return grad.reshape('c', (long) s.samples * kvHeads, group, (long) s.sequenceLength * headDim)
        .sum(1)
        .reshape('c', (long) s.samples * kvHeads, s.sequenceLength, headDim);
  }

  private INDArray causalMask(int sequenceLength) {
    if (mask == null || mask.rows() != sequenceLength) {
      double[] m = new double[sequenceLength * sequenceLength];
      for (int i = 0; i < sequenceLength; i++) {
        for (int j = i + 1; j < sequenceLength; j++) {
          m[i * sequenceLength + j] = MASKED;
        }
      }
      mask = Nd4j.create(m, new long[] {sequenceLength, sequenceLength}, dataType());
    }
    return mask;
  }
}
