package dev.pipeplan.simulator.cost.roofline;

import dev.pipeplan.models.BlockPart;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A layer's kernels for one pass on one tensor-parallel rank, from its kind and its typed {@link
 * LayerShape} (the dimensions {@code dev.pipeplan.models.zoo.TransformerLayers} writes). Megatron's
 * layout: the QKV and MLP-up GEMMs are split by columns over the t ranks, the output and MLP-down
 * GEMMs by rows, the LM head by vocabulary; key/value heads fewer than t are replicated.
 *
 * <p>A transformer block's forward, for T = b·s tokens, e bytes per element, rows = T (or T/t with
 * sequence parallelism) for the norms and residual adds, and heads d wide ({@code headDim}, else h
 * / a):
 *
 * <pre>
 *   norm                     read rows·h·e, write rows·h·e
 *   QKV GEMM                 T × (a + 2·g)·d/t × h          (g key/value heads: grouped-query)
 *   rotary on Q and K        read and write T·(a + g)·d/t·e  (models without learned positions)
 *   attention core           flash: one fused kernel; eager: Q·Kᵀ (s × s × d, b·a/t of them),
 *                            scaled masked softmax (and dropout) over b·a/t·s² scores, ·V (s × d × s)
 *   output GEMM              T × h × a·d/t
 *   dropout + residual add   read 2·rows·h·e, write rows·h·e (+ a 1-byte mask with dropout)
 *   norm
 *   MLP up GEMM              T × (2 if gated else 1)·f/t × h    (a gated MLP's two fused in one)
 *   activation               GELU: read and write T·f/t·e; SiLU·mul: read 2·T·f/t·e, write T·f/t·e
 *   MLP down GEMM            T × h × f/t
 *   dropout + residual add
 * </pre>
 *
 * <p>I runs each GEMM's dX = dY·Wᵀ (T × k × n for a T × n × k forward GEMM), the attention backward
 * and each element-wise op's backward (reading its input and output gradient, writing its input
 * gradient); W runs each GEMM's dW = Xᵀ·dY (k × n × T). The GEMMs' FLOPs add up to the layer's own
 * {@code forwardFlops}, {@code backwardInputFlops} and {@code backwardWeightFlops}.
 *
 * <p>The embedding gathers rows forward (adding learned positions) and scatter-adds the gradient in
 * W. The LM head is the final norm, the vocabulary GEMM and the cross-entropy in fp32 as the
 * engines run it by default, one kernel per step (Megatron-Core's unfused {@code
 * VocabParallelCrossEntropy}; PyTorch's {@code cross_entropy} on fp32 logits makes about as many
 * passes): forward casts the logits to fp32 (read e, write 4 bytes per logit), takes the max (read
 * 4), subtracts it (read 4, write 4), exponentiates (read 4, write 4), sums (read 4) and divides,
 * keeping the softmax for the backward (read 4, write 4); the backward scales the softmax by the
 * loss gradient (read 4, write 4) and casts it back (read 4, write e). With the cross-entropy fused
 * ({@link CrossEntropy#FUSED}, TransformerEngine's kernels) the forward reads the 16-bit logits
 * twice, once for the running maximum and sum of exponentials and once to write the loss and the
 * logits' gradient over them (read e, then read e and write e per logit), and the backward scales
 * that gradient in place (read e, write e).
 *
 * <p>With an unfused {@link GradientAccumulation} W ends with one more memory op: the rank's share
 * of the layer's weight gradients read and written as the mode states (DeepSpeed's bf16 optimizer
 * casts and adds them into fp32 after every micro-batch's backward, 18 bytes per parameter in
 * bf16).
 *
 * <p>A layer without these dimensions (convolutions, pooling, user layers, blocks described by
 * FLOPs only) is one {@link Op.Unshaped}: its FLOPs plus its weights streamed once.
 */
public final class LayerOps {
  private LayerOps() {}

  /**
   * The kernels of one pass of a layer over a micro-batch on one tensor rank.
   *
   * @param layer the layer
   * @param pass F, I or W
   * @param microBatchSize b, samples in the micro-batch
   * @param tensorParallel t
   * @param bytesPerElement the training dtype's size
   * @param features the model's rotary, dropout and mask
   * @param options attention kernel and sequence parallelism
   */
  public static List<Op> of(
      LayerSpec layer,
      Pass pass,
      int microBatchSize,
      int tensorParallel,
      int bytesPerElement,
      ModelFeatures features,
      RooflineOptions options) {
    return of(layer, pass, microBatchSize, tensorParallel, 1, bytesPerElement, features, options);
  }

  /**
   * The kernels of one pass of a layer over a micro-batch on one rank of a tensor- and
   * context-parallel group. With context parallelism each of the cp ranks holds s/cp of every
   * sequence's tokens (Megatron-Core's load-balanced split: chunks i and 2cp−1−i, so a causal mask
   * leaves each rank the same share of the work): every op but the attention core runs on s/cp
   * tokens; the core runs the rank's queries against all s keys and values.
   *
   * @param contextParallel cp, the ranks that split each sequence
   */
  public static List<Op> of(
      LayerSpec layer,
      Pass pass,
      int microBatchSize,
      int tensorParallel,
      int contextParallel,
      int bytesPerElement,
      ModelFeatures features,
      RooflineOptions options) {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(pass, "pass");
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(options, "options");
    if (microBatchSize < 1 || tensorParallel < 1 || contextParallel < 1 || bytesPerElement < 1) {
      throw new IllegalArgumentException(
          "micro-batch size, tensor-parallel degree, context-parallel degree and bytes per element"
              + " must be >= 1, got "
              + microBatchSize
              + ", "
              + tensorParallel
              + ", "
              + contextParallel
              + ", "
              + bytesPerElement);
    }
    List<Op> ops = new ArrayList<>();
    LayerShape shape = layer.shape();
    if (shape instanceof LayerShape.TransformerBlock block && described(block)) {
      Shape x =
          new Shape(
              block.seq().getAsLong(),
              block.hidden().getAsLong(),
              microBatchSize,
              tensorParallel,
              contextParallel,
              bytesPerElement,
              options);
      block(ops, block, pass, x, features, options);
    } else if (shape instanceof LayerShape.LmHead head
        && head.hidden().isPresent()
        && head.vocab().isPresent()
        && head.seq().isPresent()) {
      Shape x =
          new Shape(
              head.seq().getAsLong(),
              head.hidden().getAsLong(),
              microBatchSize,
              tensorParallel,
              contextParallel,
              bytesPerElement,
              options);
      lmHead(ops, head, pass, x, options.crossEntropy());
    } else if (shape instanceof LayerShape.Embedding embedding
        && embedding.hidden().isPresent()
        && embedding.seq().isPresent()) {
      Shape x =
          new Shape(
              embedding.seq().getAsLong(),
              embedding.hidden().getAsLong(),
              microBatchSize,
              tensorParallel,
              contextParallel,
              bytesPerElement,
              options);
      embedding(ops, embedding, pass, x, features);
    } else {
      Shape x = new Shape(1, 1, microBatchSize, tensorParallel, 1, bytesPerElement, options);
      ops.add(unshaped(layer, pass, x));
    }
    if (pass == Pass.BACKWARD_WEIGHT) {
      accumulation(ops, layer, tensorParallel, bytesPerElement, options.gradientAccumulation());
    }
    return List.copyOf(ops);
  }

  /**
   * An unfused gradient accumulation: the rank's share of the layer's weight gradients streamed
   * once more after W ({@link GradientAccumulation}).
   */
  private static void accumulation(
      List<Op> ops, LayerSpec layer, int t, int e, GradientAccumulation mode) {
    double parameters = (double) layer.parameterCount() / t;
    double read = parameters * mode.readBytesPerParameter(e);
    double written = parameters * mode.writtenBytesPerParameter(e);
    if (read + written > 0) {
      ops.add(new Op.MemoryOp(read, written));
    }
  }

  /**
   * The sizes every builder uses, for one micro-batch on one rank: {@code seq} is the whole
   * sequence (what attention's keys and values span), {@code rankSeq} the rank's s/cp share of it
   * and {@code tokens} its b·s/cp tokens.
   */
  private static final class Shape {
    final long b;
    final long t;
    final double e;
    final long seq;
    final long rankSeq;
    final long tokens;
    final long rows;
    final long hidden;

    Shape(long seq, long hidden, int b, int t, int cp, int e, RooflineOptions options) {
      this.b = b;
      this.t = t;
      this.e = e;
      this.seq = seq;
      this.rankSeq = ceilDiv(seq, cp);
      this.tokens = this.b * rankSeq;
      this.rows = options.sequenceParallel() ? ceilDiv(tokens, t) : tokens;
      this.hidden = hidden;
    }
  }

  private static Op unshaped(LayerSpec layer, Pass pass, Shape x) {
    double flops =
        switch (pass) {
          case FORWARD -> layer.forwardFlops();
          case BACKWARD_INPUT -> layer.backwardInputFlops();
          case BACKWARD_WEIGHT -> layer.backwardWeightFlops();
        };
    // Embedding tables gather rows: their weights are not streamed.
    double weightBytes =
        layer.kind() == LayerKind.EMBEDDING ? 0 : layer.parameterCount() * x.e / x.t;
    return new Op.Unshaped(flops * x.b / x.t, weightBytes);
  }

  private static void block(
      List<Op> ops,
      LayerShape.TransformerBlock layer,
      Pass pass,
      Shape x,
      ModelFeatures features,
      RooflineOptions options) {
    long h = x.hidden;
    long heads = layer.heads().getAsLong();
    // d = hidden / heads unless the block says otherwise (Qwen3: 32 heads of 128 over 2560).
    long d = layer.headDim().orElse(h / heads);
    long q = ceilDiv(heads, x.t) * d;
    long kv = ceilDiv(layer.kvHeads().getAsLong(), x.t) * d;
    long f = ceilDiv(layer.ffn().getAsLong(), x.t);
    boolean gated = layer.gated().getAsLong() != 0;
    long up = (gated ? 2 : 1) * f;
    long tokens = x.tokens;
    double e = x.e;
    boolean castWeights = !options.fp8WeightCastsPerIteration();
    double rowBytes = x.rows * h * e;
    double mask = features.dropout() ? x.rows * h : 0;
    Op.Gemm qkv = linear(tokens, q + 2 * kv, h, options);
    Op.Gemm out = linear(tokens, h, q, options);
    Op.Gemm mlpUp = linear(tokens, up, h, options);
    Op.Gemm mlpDown = linear(tokens, h, f, options);
    double rotaryBytes = tokens * (q + kv) * e;
    long headsPerRank = q / d;
    long batchHeads = x.b * headsPerRank;
    // the rank's queries (s/cp of each sequence) against every key: s² without context parallelism
    double scores = (double) batchHeads * x.rankSeq * x.seq;
    double attentionFlops = 4.0 * batchHeads * x.rankSeq * x.seq * d;
    // keys and values span the whole sequence: a context-parallel rank reads every rank's
    double kvTokens = (double) x.b * x.seq;
    // A sub-layer partition's piece runs some of the block's steps ({@link BlockPart}).
    BlockPart part = layer.blockPart();
    boolean in = part.has(BlockPart.Step.ATTENTION_IN);
    boolean core = part.has(BlockPart.Step.ATTENTION_CORE);
    boolean projection = part.has(BlockPart.Step.ATTENTION_OUT);
    boolean mlpIn = part.has(BlockPart.Step.MLP_IN);
    boolean mlpOut = part.has(BlockPart.Step.MLP_OUT);
    switch (pass) {
      case FORWARD -> {
        if (in) {
          ops.add(new Op.MemoryOp(rowBytes, rowBytes));
          forward(ops, qkv, e, castWeights);
          if (features.rotary()) {
            ops.add(new Op.MemoryOp(rotaryBytes, rotaryBytes));
          }
        }
        if (core) {
          switch (options.attention()) {
            case FLASH, FLASH2 ->
                ops.add(
                    new Op.FusedAttention(
                        attentionFlops,
                        (tokens * 2 * q + kvTokens * 2 * kv) * e,
                        features.causal(),
                        false,
                        options.attention() == AttentionKernel.FLASH2));
            case EAGER -> {
              ops.add(new Op.Gemm(x.rankSeq, x.seq, d, batchHeads));
              ops.add(new Op.MemoryOp(scores * e, scores * e));
              if (features.dropout()) {
                ops.add(new Op.MemoryOp(scores * e, scores * (e + 1)));
              }
              ops.add(new Op.Gemm(x.rankSeq, d, x.seq, batchHeads));
            }
          }
        }
        if (projection) {
          forward(ops, out, e, castWeights);
          ops.add(new Op.MemoryOp(2 * rowBytes, rowBytes + mask));
        }
        if (mlpIn) {
          ops.add(new Op.MemoryOp(rowBytes, rowBytes));
          forward(ops, mlpUp, e, castWeights);
          ops.add(new Op.MemoryOp((gated ? 2 : 1) * tokens * f * e, tokens * f * e));
        }
        if (mlpOut) {
          forward(ops, mlpDown, e, castWeights);
          ops.add(new Op.MemoryOp(2 * rowBytes, rowBytes + mask));
        }
      }
      case BACKWARD_INPUT -> {
        if (mlpOut) {
          ops.add(new Op.MemoryOp(2 * rowBytes + mask, rowBytes));
          inputGradient(ops, mlpDown, e, castWeights);
        }
        if (mlpIn) {
          ops.add(
              new Op.MemoryOp((gated ? 3 : 2) * tokens * f * e, (gated ? 2 : 1) * tokens * f * e));
          inputGradient(ops, mlpUp, e, castWeights);
          ops.add(new Op.MemoryOp(2 * rowBytes, rowBytes));
        }
        if (projection) {
          ops.add(new Op.MemoryOp(2 * rowBytes + mask, rowBytes));
          inputGradient(ops, out, e, castWeights);
        }
        if (core) {
          switch (options.attention()) {
            case FLASH, FLASH2 ->
                ops.add(
                    new Op.FusedAttention(
                        2 * attentionFlops,
                        (tokens * 3 * q + kvTokens * 4 * kv) * e,
                        features.causal(),
                        true,
                        options.attention() == AttentionKernel.FLASH2));
            case EAGER -> {
              // dP = dO·Vᵀ (s/cp × s), dV = Pᵀ·dO (s × d), dQ = dS·K (s/cp × d), dK = dSᵀ·Q
              ops.add(new Op.Gemm(x.rankSeq, x.seq, d, batchHeads));
              ops.add(new Op.Gemm(x.seq, d, x.rankSeq, batchHeads));
              if (features.dropout()) {
                ops.add(new Op.MemoryOp(scores * (e + 1), scores * e));
              }
              ops.add(new Op.MemoryOp(2 * scores * e, scores * e));
              ops.add(new Op.Gemm(x.rankSeq, d, x.seq, batchHeads));
              ops.add(new Op.Gemm(x.seq, d, x.rankSeq, batchHeads));
            }
          }
        }
        if (in) {
          if (features.rotary()) {
            ops.add(new Op.MemoryOp(rotaryBytes, rotaryBytes));
          }
          inputGradient(ops, qkv, e, castWeights);
          ops.add(new Op.MemoryOp(2 * rowBytes, rowBytes));
        }
      }
      case BACKWARD_WEIGHT -> {
        if (in) {
          weightGradient(ops, qkv, e);
        }
        if (projection) {
          weightGradient(ops, out, e);
        }
        if (mlpIn) {
          weightGradient(ops, mlpUp, e);
        }
        if (mlpOut) {
          weightGradient(ops, mlpDown, e);
        }
      }
    }
  }

  private static void lmHead(
      List<Op> ops, LayerShape.LmHead layer, Pass pass, Shape x, CrossEntropy crossEntropy) {
    long h = x.hidden;
    long vocab = ceilDiv(layer.vocab().getAsLong(), x.t);
    double e = x.e;
    double rowBytes = x.rows * h * e;
    double logits = (double) x.tokens * vocab;
    Op.Gemm projection = Op.Gemm.of(x.tokens, vocab, h);
    // A vocabulary slice ({@link dev.pipeplan.models.SubLayers}): the first holds the final norm;
    // every slice but the last adds the gradient coming back from the later slices to its own.
    boolean norm = layer.holdsNorm();
    boolean addsIncoming = !layer.endsLoss();
    switch (pass) {
      case FORWARD -> {
        if (norm) {
          ops.add(new Op.MemoryOp(rowBytes, rowBytes));
        }
        ops.add(projection);
        switch (crossEntropy) {
          case UNFUSED -> {
            ops.add(new Op.MemoryOp(logits * e, logits * 4));
            ops.add(new Op.MemoryOp(logits * 4, 0));
            ops.add(new Op.MemoryOp(logits * 4, logits * 4));
            ops.add(new Op.MemoryOp(logits * 4, logits * 4));
            ops.add(new Op.MemoryOp(logits * 4, 0));
            ops.add(new Op.MemoryOp(logits * 4, logits * 4));
          }
          case FUSED -> {
            ops.add(new Op.MemoryOp(logits * e, 0));
            ops.add(new Op.MemoryOp(logits * e, logits * e));
          }
        }
      }
      case BACKWARD_INPUT -> {
        switch (crossEntropy) {
          case UNFUSED -> {
            ops.add(new Op.MemoryOp(logits * 4, logits * 4));
            ops.add(new Op.MemoryOp(logits * 4, logits * e));
          }
          case FUSED -> ops.add(new Op.MemoryOp(logits * e, logits * e));
        }
        ops.add(dx(projection));
        if (addsIncoming) {
          ops.add(new Op.MemoryOp(2 * rowBytes, rowBytes));
        }
        if (norm) {
          ops.add(new Op.MemoryOp(2 * rowBytes, rowBytes));
        }
      }
      case BACKWARD_WEIGHT -> ops.add(dw(projection));
    }
  }

  private static void embedding(
      List<Op> ops, LayerShape.Embedding layer, Pass pass, Shape x, ModelFeatures features) {
    double e = x.e;
    double bytes = x.tokens * x.hidden * e;
    boolean positions = layer.positions().orElse(0) > 0;
    switch (pass) {
      case FORWARD -> {
        ops.add(new Op.MemoryOp(positions ? 2 * bytes : bytes, bytes));
        if (features.dropout()) {
          ops.add(new Op.MemoryOp(bytes, bytes + bytes / e));
        }
      }
      case BACKWARD_INPUT -> {
        // Token ids have no gradient.
      }
      case BACKWARD_WEIGHT -> ops.add(new Op.MemoryOp(bytes, bytes));
    }
  }

  /** dX = dY·Wᵀ of a forward GEMM T × n × k: T × k × n, in the forward's precision. */
  static Op.Gemm dx(Op.Gemm forward) {
    return new Op.Gemm(forward.m(), forward.k(), forward.n(), forward.count(), forward.fp8());
  }

  /** dW = Xᵀ·dY of a forward GEMM T × n × k: k × n × T, in the forward's precision. */
  static Op.Gemm dw(Op.Gemm forward) {
    return new Op.Gemm(forward.k(), forward.n(), forward.m(), forward.count(), forward.fp8());
  }

  /** A block whose every dimension is given, so that its ops (and its linear layers) are known. */
  private static boolean described(LayerShape.TransformerBlock block) {
    return block.hidden().isPresent()
        && block.heads().isPresent()
        && block.kvHeads().isPresent()
        && block.ffn().isPresent()
        && block.seq().isPresent()
        && block.gated().isPresent();
  }

  /**
   * Whether the model has a layer whose linear GEMMs FP8 linears would run in FP8: a transformer
   * block with every dimension given (or a piece of one). A CNN, or a model of other layers, has
   * none.
   */
  public static boolean hasFp8Linears(ModelSpec model) {
    Objects.requireNonNull(model, "model");
    for (LayerSpec layer : model.layers()) {
      if (layer.shape() instanceof LayerShape.TransformerBlock block && described(block)) {
        return true;
      }
    }
    return false;
  }

  /** A block's linear layer, T × n × k: in FP8 when the options say so. */
  private static Op.Gemm linear(long tokens, long n, long k, RooflineOptions options) {
    Op.Gemm gemm = Op.Gemm.of(tokens, n, k);
    return options.fp8Linears() ? gemm.inFp8() : gemm;
  }

  /**
   * A linear layer's forward GEMM; in FP8, after the per-tensor scaling casts of its input X (T ×
   * k) and weight W (k × n): each read once for its absolute maximum and once to be cast, written
   * in one byte.
   */
  private static void forward(List<Op> ops, Op.Gemm gemm, double e, boolean castWeights) {
    if (gemm.fp8()) {
      ops.add(cast(gemm.m() * gemm.k(), e));
      if (castWeights) {
        ops.add(weightCast(gemm, e));
      }
    }
    ops.add(gemm);
  }

  /**
   * A linear layer's dX = dY·Wᵀ; in FP8, after the cast of dY (T × n) and the transposed FP8 copy
   * of W the GEMM reads (one byte read and written per weight).
   */
  private static void inputGradient(List<Op> ops, Op.Gemm gemm, double e, boolean castWeights) {
    if (gemm.fp8()) {
      ops.add(cast(gemm.m() * gemm.n(), e));
      if (castWeights) {
        ops.add(transposedWeightCopy(gemm));
      }
    }
    ops.add(dx(gemm));
  }

  /** The per-tensor scaling cast of a linear layer's weight W (k × n) to FP8. */
  private static Op.MemoryOp weightCast(Op.Gemm gemm, double e) {
    return cast(gemm.k() * gemm.n(), e);
  }

  /** The transposed FP8 copy of W that dX = dY·Wᵀ reads: one byte read and written per weight. */
  private static Op.MemoryOp transposedWeightCopy(Op.Gemm gemm) {
    double weights = (double) gemm.k() * gemm.n();
    return new Op.MemoryOp(weights, weights);
  }

  /**
   * The casts of a layer's FP8 weights that an iteration runs once when they are cached ({@link
   * RooflineOptions#fp8WeightCastsPerIteration}): for each FP8 linear layer of one tensor rank, the
   * weight's cast and its transposed copy. Empty without FP8 linears or for a layer without them.
   */
  public static List<Op> fp8WeightCasts(
      LayerSpec layer,
      int tensorParallel,
      int bytesPerElement,
      ModelFeatures features,
      RooflineOptions options) {
    List<Op> casts = new ArrayList<>();
    if (!options.fp8Linears()) {
      return casts;
    }
    for (Op op : of(layer, Pass.FORWARD, 1, tensorParallel, bytesPerElement, features, options)) {
      if (op instanceof Op.Gemm gemm && gemm.fp8()) {
        casts.add(weightCast(gemm, bytesPerElement));
        casts.add(transposedWeightCopy(gemm));
      }
    }
    return casts;
  }

  /**
   * A linear layer's dW = Xᵀ·dY; in FP8, after the transposed FP8 copies of X and dY it reads (one
   * byte read and written per element).
   */
  private static void weightGradient(List<Op> ops, Op.Gemm gemm, double e) {
    if (gemm.fp8()) {
      double transposed = (double) gemm.m() * (gemm.k() + gemm.n());
      ops.add(new Op.MemoryOp(transposed, transposed));
    }
    ops.add(dw(gemm));
  }

  /** A per-tensor scaling cast to FP8: read for the absolute maximum, read again, write 1 byte. */
  private static Op.MemoryOp cast(long elements, double e) {
    return new Op.MemoryOp(2.0 * elements * e, elements);
  }

  private static long ceilDiv(long value, long divisor) {
    return (value + divisor - 1) / divisor;
  }
}
