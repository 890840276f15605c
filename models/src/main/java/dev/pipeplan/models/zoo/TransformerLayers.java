package dev.pipeplan.models.zoo;

import dev.pipeplan.models.ActivationBytes;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelLimits;
import dev.pipeplan.models.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Builds a transformer's layers from its architecture numbers with the analytic formulas of
 * Megatron-LM and Korthikanti et al. ("Reducing Activation Recomputation in Large Transformer
 * Models", 2022). All numbers are per sample, i.e. per sequence of {@code s} tokens; {@code
 * docs/design.md} ("Models") derives each formula.
 */
public final class TransformerLayers {
  private TransformerLayers() {}

  /** The model at its default sequence length. */
  public static ModelSpec build(TransformerConfig config) {
    return build(config, 0);
  }

  /**
   * The model at a sequence length.
   *
   * @param sequenceLength tokens per sample; 0 means the configuration's default
   * @throws BadInputException when the sequence is negative or longer than the model's learned
   *     positions
   */
  public static ModelSpec build(TransformerConfig config, int sequenceLength) {
    Objects.requireNonNull(config, "config");
    if (sequenceLength < 0) {
      throw new BadInputException(
          "sequence length must be >= 0 (0 = the model's default), got " + sequenceLength);
    }
    int s = sequenceLength == 0 ? config.defaultSequenceLength() : sequenceLength;
    if (s > ModelLimits.MAX_SEQUENCE) {
      throw new BadInputException(
          ModelLimits.outOfRange("sequence length", s, ModelLimits.MAX_SEQUENCE)
              + " tokens (the longest sequence pipeplan models) for model '"
              + config.name()
              + "'");
    }
    if (config.positions() > 0 && s > config.positions()) {
      throw new BadInputException(
          "sequence length ("
              + s
              + ") exceeds the "
              + config.positions()
              + " learned positions of model '"
              + config.name()
              + "'. Maybe use --seq "
              + config.positions()
              + " or fewer.");
    }
    List<LayerSpec> layers = new ArrayList<>(config.blocks() + 2);
    try {
      layers.add(embedding(config, s));
      // Every block has the same sizes: a size that is out of range fails on the first one.
      for (int i = 0; i < config.blocks(); i++) {
        layers.add(block(config, s, "block" + i));
      }
      layers.add(lmHead(config, s));
    } catch (BadInputException e) {
      throw new BadInputException(
          "model '"
              + config.name()
              + "' at sequence length "
              + s
              + ": "
              + e.getMessage()
              + (s > config.defaultSequenceLength()
                  ? ". Maybe use a shorter --seq (the model's default is "
                      + config.defaultSequenceLength()
                      + ")."
                  : ""),
          e);
    }
    return new ModelSpec(config.name(), layers, config.dtype(), s);
  }

  /** Token embedding plus learned positions (where the model has them). */
  static LayerSpec embedding(TransformerConfig c, int s) {
    long h = c.hidden();
    String what = "layer 'embedding' ";
    long params =
        add(
            what + "parameterCount (vocab x hidden + positions x hidden)",
            multiply(what + "parameterCount (vocab x hidden)", c.vocab(), h),
            multiply(what + "parameterCount (positions x hidden)", c.positions(), h));
    LayerShape shape = LayerShape.Embedding.of(c.vocab(), h, s, c.positions());
    // A lookup and an add: no matmul. The weight gradient is a scatter-add of s rows; token ids
    // have no gradient.
    double elementwise = (double) s * h;
    // int32 token ids, and the embedding-dropout mask (1 byte per element) where the model has
    // dropout.
    long mask = c.dropout() ? multiply(what + "savedActivationBytes (seq x hidden)", s, h) : 0;
    ActivationBytes activations = new ActivationBytes(0, 4L * s, mask, 0, 0, 0);
    long saved = activations.total();
    long output = outputBytes(c, s, "embedding");
    return new LayerSpec(
        "embedding",
        LayerKind.EMBEDDING,
        shape,
        elementwise,
        0,
        elementwise,
        params,
        saved,
        output,
        null,
        activations);
  }

  /** One transformer block: attention and MLP with their norms. */
  static LayerSpec block(TransformerConfig c, int s, String name) {
    long h = c.hidden();
    long f = c.ffn();
    long qDim = c.queryWidth();
    long kvDim = c.keyValueWidth();
    String what = "layer '" + name + "' parameterCount";
    // Q (h x a·d), K and V (h x kv·d each) and O (a·d x h).
    long attentionMatmulParams =
        multiply(
            what + " (2 x hidden x (heads x headDim + kvHeads x headDim))", 2 * h, qDim + kvDim);
    long mlpMatmulParams =
        multiply(what + " (hidden x ffn x projections)", (c.gated() ? 3 : 2) * h, f);
    long matmulParams = add(what, attentionMatmulParams, mlpMatmulParams);
    // Each term below is at most a few times an int: no overflow.
    ProjectionBiases biases = c.projectionBiases();
    long biasParams =
        (biases.qkv() ? qDim + 2 * kvDim : 0)
            + (biases.output() ? h : 0)
            + (biases.mlp() ? (c.gated() ? 2 * f : f) + h : 0);
    long norms = 2 * (c.bias() ? 2 * h : h) + (c.qkNorm() ? 2L * c.headDim() : 0);
    long params = add(what, matmulParams, biasParams + norms);

    double tokens = s;
    double matmulFlops = 2.0 * matmulParams * tokens;
    // QK^T and (softmax)V: 2·s²·a·d each, whatever the number of key/value heads (every query head
    // attends).
    double attentionFlops = 4.0 * tokens * tokens * qDim;
    double forward = matmulFlops + attentionFlops;
    // Weight matmuls cost as much again for the input gradient and again for the weight gradient;
    // the two
    // attention matmuls have no weights, so both of their operand gradients (2x forward) belong to
    // I.
    double backwardInput = matmulFlops + 2 * attentionFlops;
    double backwardWeight = matmulFlops;

    ActivationBytes activations = activationBytes(c, s, name);
    long saved = activations.total();
    long output = outputBytes(c, s, name);

    LayerShape shape = blockShape(c, s);
    return new LayerSpec(
        name,
        LayerKind.TRANSFORMER_BLOCK,
        shape,
        forward,
        backwardInput,
        backwardWeight,
        params,
        saved,
        output,
        null,
        activations);
  }

  /**
   * The block's shape: the zoo's keys, plus {@code headDim}, the projection biases and {@code
   * qkNorm} where they differ from what {@code hidden}, {@code heads} and {@code bias} imply, so
   * that the shape of every model without them stays as it was, and {@code ropeTheta} for a model
   * with rotary positions.
   */
  private static LayerShape.TransformerBlock blockShape(TransformerConfig c, int s) {
    LayerShape.TransformerBlock shape =
        LayerShape.TransformerBlock.of(
            c.hidden(), c.heads(), c.kvHeads(), c.ffn(), s, c.gated(), c.bias());
    ProjectionBiases implied = c.bias() ? ProjectionBiases.ALL : ProjectionBiases.NONE;
    ProjectionBiases biases = c.projectionBiases();
    return shape.withAttentionDetails(
        c.queryWidth() == c.hidden() ? OptionalLong.empty() : OptionalLong.of(c.headDim()),
        flag(biases.qkv(), implied.qkv()),
        flag(biases.output(), implied.output()),
        flag(biases.mlp(), implied.mlp()),
        c.qkNorm() ? OptionalLong.of(1) : OptionalLong.empty(),
        c.ropeTheta() > 0 ? OptionalLong.of(c.ropeTheta()) : OptionalLong.empty());
  }

  /** 1 or 0 where a flag differs from its default, absent where it does not. */
  private static OptionalLong flag(boolean value, boolean implied) {
    return value == implied ? OptionalLong.empty() : OptionalLong.of(value ? 1 : 0);
  }

  /**
   * Korthikanti's s·h·(34 + 5·a·s/h) bytes (16-bit, with dropout, no recomputation), generalised to
   * the dtype's size, head widths other than h / a (Q and the attention output are s·a·d),
   * grouped-query attention (K and V are s·kvHeads·d), gated MLPs (three s·ffn tensors instead of
   * two) and models without dropout (no masks, no attention-dropout output).
   */
  static long savedActivationBytes(TransformerConfig c, int s) {
    return activationBytes(c, s, "block").total();
  }

  /** A block's saved activations per sample, by part ({@link ActivationBytes}). */
  static ActivationBytes activationBytes(TransformerConfig c, int s, String layerName) {
    String what = "layer '" + layerName + "' savedActivationBytes";
    long b = c.dtype().bytes();
    // Each of these is at most MAX_SEQUENCE x MAX_FFN = 2^44: no overflow.
    long sh = (long) s * c.hidden();
    long sq = s * c.queryWidth();
    long kv = s * c.keyValueWidth();
    long sf = (long) s * c.ffn();
    // heads x seq x seq can reach 2^60, and its bytes more.
    long scores = multiply(what + " (heads x seq x seq)", (long) c.heads() * s, s);
    // Split over the tensor ranks: Q, K, V, the attention output (the output projection's input),
    // the MLP activation's input(s) and the down projection's input.
    long tensorSharded = b * (2 * sq + 2 * kv + (c.gated() ? 3 : 2) * sf);
    // Replicated unless sequence-parallel: the two norms' inputs and the inputs of the QKV and the
    // MLP-up projections (the norms' outputs).
    long sequenceSharded = 4 * b * sh;
    // One 1-byte mask after attention and one after the MLP.
    long masks = c.dropout() ? 2 * sh : 0;
    long scoreBytes = multiply(what + " (heads x seq x seq x dtype bytes)", scores, b);
    // The attention dropout's mask (1 byte) and output (dtype) per score.
    long attentionDropout =
        c.dropout()
            ? multiply(what + " (heads x seq x seq x (dtype bytes + 1))", scores, b + 1)
            : 0;
    // FlashAttention keeps the fp32 log-sum-exp of each head and query.
    long flashStatistics = 4L * c.heads() * s;
    long total =
        add(what, add(what, scoreBytes, attentionDropout), tensorSharded + sequenceSharded + masks);
    ModelLimits.check(what, total, ModelLimits.MAX_LAYER_BYTES);
    return new ActivationBytes(
        tensorSharded, sequenceSharded, masks, scoreBytes, attentionDropout, flashStatistics);
  }

  /** The block's output, seq x hidden in the dtype: at most 2^45 bytes, no overflow. */
  private static long outputBytes(TransformerConfig c, int s, String layerName) {
    return multiply(
        "layer '" + layerName + "' outputBytes (seq x hidden x dtype bytes)",
        (long) s * c.hidden(),
        c.dtype().bytes());
  }

  private static long multiply(String what, long a, long b) {
    return ModelLimits.multiply(what, a, b);
  }

  private static long add(String what, long a, long b) {
    return ModelLimits.add(what, a, b);
  }

  /** Final norm, output projection and the cross-entropy loss. */
  static LayerSpec lmHead(TransformerConfig c, int s) {
    long h = c.hidden();
    long v = c.vocab();
    long norm = c.bias() ? 2 * h : h;
    String what = "layer 'lm_head' ";
    long params =
        add(
            what + "parameterCount",
            norm,
            c.tied() ? 0 : multiply(what + "parameterCount (vocab x hidden)", v, h));
    double projection = 2.0 * s * h * v;
    // The final norm's input and the projection's input (dtype), replicated unless
    // sequence-parallel, and the fp32 logits for the loss, split over the tensor ranks by
    // vocabulary
    // (Korthikanti: 4·s·h + 4·s·v).
    long inputs =
        multiply(what + "savedActivationBytes (seq x hidden)", 2L * c.dtype().bytes() * s, h);
    long logits = multiply(what + "savedActivationBytes (seq x vocab)", 4L * s, v);
    add(
        what + "savedActivationBytes (2 x dtype bytes x seq x hidden + 4 x seq x vocab)",
        inputs,
        logits);
    ActivationBytes activations = new ActivationBytes(logits, inputs, 0, 0, 0, 0);
    long saved = activations.total();
    LayerShape shape = LayerShape.LmHead.of(v, h, s, c.tied());
    return new LayerSpec(
        "lm_head",
        LayerKind.LM_HEAD,
        shape,
        projection,
        projection,
        projection,
        params,
        saved,
        4,
        null,
        activations);
  }
}
