package dev.pipeplan.models.zoo;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelLimits;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The architecture numbers of a decoder (or encoder) transformer, from which {@link
 * TransformerLayers} derives a layer-by-layer {@link dev.pipeplan.models.ModelSpec}.
 *
 * @param name the model's name ("llama2-7b")
 * @param vocab vocabulary size
 * @param hidden hidden size h
 * @param blocks number of transformer blocks L
 * @param heads attention (query) heads a
 * @param kvHeads key/value heads (equal to {@code heads} without grouped-query attention)
 * @param ffn the MLP's inner size (per projection for a gated MLP)
 * @param positions learned position embeddings (the longest sequence they cover), 0 for rotary
 *     embeddings
 * @param gated true for a gated (SwiGLU) MLP with three projections, false for a two-projection
 *     GeLU MLP
 * @param bias true for GPT-2-style LayerNorm with bias and biases on every projection; false means
 *     RMSNorm and the projection biases {@code projectionBiases} names
 * @param tied true when the output projection shares the token embedding's weights
 * @param defaultSequenceLength the sequence length used when the caller does not choose one
 * @param dtype the training format of weights and activations
 * @param dropout true when the model trains with a non-zero dropout probability (GPT-2, GPT-3 and
 *     BERT use 0.1; the Llama family 0), so that the dropout masks are kept for the backward
 * @param headDim the width d of one attention head: hidden / heads unless the model sets another
 *     (Qwen3-4B: hidden 2560, 32 heads of 128), so that the query and the attention output are a·d
 *     wide and the keys and values kvHeads·d
 * @param projectionBiases which projections add a bias; {@link ProjectionBiases#ALL} when {@code
 *     bias} is true
 * @param qkNorm true for a per-head RMSNorm on the queries and keys (Qwen3): two weight vectors of
 *     headDim per block
 * @param ropeTheta the base of the rotary position embedding (Hugging Face's {@code rope_theta}) of
 *     a model without learned positions, {@link #DEFAULT_ROPE_THETA} unless the model sets another;
 *     0 for a model with learned positions. Only the executor reads it (the blocks' {@code
 *     ropeTheta}); it changes no cost
 */
public record TransformerConfig(
    String name,
    int vocab,
    int hidden,
    int blocks,
    int heads,
    int kvHeads,
    int ffn,
    int positions,
    boolean gated,
    boolean bias,
    boolean tied,
    int defaultSequenceLength,
    DType dtype,
    boolean dropout,
    int headDim,
    ProjectionBiases projectionBiases,
    boolean qkNorm,
    long ropeTheta) {

  /**
   * Llama's rotary base, which Hugging Face's configurations default to without {@code rope_theta}.
   */
  public static final long DEFAULT_ROPE_THETA = 10_000;

  public TransformerConfig {
    Checks.nonBlank("model name", name);
    Checks.positive("model '" + name + "' vocab", vocab);
    Checks.positive("model '" + name + "' hidden", hidden);
    Checks.positive("model '" + name + "' blocks", blocks);
    Checks.positive("model '" + name + "' heads", heads);
    Checks.positive("model '" + name + "' kvHeads", kvHeads);
    Checks.positive("model '" + name + "' ffn", ffn);
    Checks.nonNegative("model '" + name + "' positions", positions);
    Checks.positive("model '" + name + "' defaultSequenceLength", defaultSequenceLength);
    Objects.requireNonNull(dtype, "dtype");
    String m = "model '" + name + "' ";
    ModelLimits.check(m + "vocab", vocab, ModelLimits.MAX_VOCAB);
    ModelLimits.check(m + "hidden", hidden, ModelLimits.MAX_HIDDEN);
    ModelLimits.check(m + "blocks", blocks, ModelLimits.MAX_LAYERS);
    ModelLimits.check(m + "heads", heads, ModelLimits.MAX_HEADS);
    ModelLimits.check(m + "kvHeads", kvHeads, ModelLimits.MAX_HEADS);
    ModelLimits.check(m + "ffn", ffn, ModelLimits.MAX_FFN);
    ModelLimits.check(m + "positions", positions, ModelLimits.MAX_SEQUENCE);
    ModelLimits.check(m + "defaultSequenceLength", defaultSequenceLength, ModelLimits.MAX_SEQUENCE);
    Checks.positive("model '" + name + "' headDim", headDim);
    ModelLimits.check(m + "headDim", headDim, ModelLimits.MAX_HIDDEN);
    // heads x headDim is at most 2^36: no overflow as a long.
    ModelLimits.check(m + "heads x headDim", (long) heads * headDim, ModelLimits.MAX_HIDDEN);
    Objects.requireNonNull(projectionBiases, "projectionBiases");
    if (bias && !projectionBiases.equals(ProjectionBiases.ALL)) {
      throw new IllegalArgumentException(
          "model '"
              + name
              + "' has GPT-2-style biases (bias true), so every projection has one; got "
              + projectionBiases);
    }
    if (ropeTheta < 0 || (positions > 0 && ropeTheta != 0)) {
      throw new BadInputException(
          "model '"
              + name
              + "' ropeTheta ("
              + ropeTheta
              + ") must be >= 1 for a model without learned positions and 0 for one with them"
              + " (positions "
              + positions
              + ")");
    }
    if (kvHeads > heads || heads % kvHeads != 0) {
      throw new BadInputException(
          "model '" + name + "' kvHeads (" + kvHeads + ") must divide heads (" + heads + ")");
    }
    if (positions > 0 && defaultSequenceLength > positions) {
      throw new BadInputException(
          "model '"
              + name
              + "' defaultSequenceLength ("
              + defaultSequenceLength
              + ") exceeds its "
              + positions
              + " learned positions");
    }
  }

  /** A model that trains with dropout, as GPT-2-era models do. */
  public TransformerConfig(
      String name,
      int vocab,
      int hidden,
      int blocks,
      int heads,
      int kvHeads,
      int ffn,
      int positions,
      boolean gated,
      boolean bias,
      boolean tied,
      int defaultSequenceLength,
      DType dtype) {
    this(
        name,
        vocab,
        hidden,
        blocks,
        heads,
        kvHeads,
        ffn,
        positions,
        gated,
        bias,
        tied,
        defaultSequenceLength,
        dtype,
        true);
  }

  /**
   * A model whose heads are hidden / heads wide, with biases on every projection when {@code bias}
   * is true and on none otherwise, and no query/key norm.
   */
  public TransformerConfig(
      String name,
      int vocab,
      int hidden,
      int blocks,
      int heads,
      int kvHeads,
      int ffn,
      int positions,
      boolean gated,
      boolean bias,
      boolean tied,
      int defaultSequenceLength,
      DType dtype,
      boolean dropout) {
    this(
        name,
        vocab,
        hidden,
        blocks,
        heads,
        kvHeads,
        ffn,
        positions,
        gated,
        bias,
        tied,
        defaultSequenceLength,
        dtype,
        dropout,
        dividedHeadDim(name, hidden, heads),
        bias ? ProjectionBiases.ALL : ProjectionBiases.NONE,
        false,
        positions == 0 ? DEFAULT_ROPE_THETA : 0);
  }

  /** hidden / heads, refused where heads does not divide hidden. */
  private static int dividedHeadDim(String name, int hidden, int heads) {
    Checks.positive("model '" + name + "' heads", heads);
    if (hidden % heads != 0) {
      throw new BadInputException(
          "model '"
              + name
              + "' hidden ("
              + hidden
              + ") is not a multiple of heads ("
              + heads
              + ")");
    }
    return hidden / heads;
  }

  /**
   * A GPT-2/GPT-3-style model: learned positions, GeLU MLP of 4h, biases and LayerNorm, tied output
   * projection.
   */
  public static TransformerConfig gpt(
      String name,
      int vocab,
      int hidden,
      int blocks,
      int heads,
      int positions,
      int defaultSequenceLength,
      DType dtype) {
    // Checked before 4 * hidden, which would overflow an int for a huge hidden size.
    ModelLimits.check("model '" + name + "' hidden", hidden, ModelLimits.MAX_HIDDEN);
    return new TransformerConfig(
        name,
        vocab,
        hidden,
        blocks,
        heads,
        heads,
        4 * hidden,
        positions,
        false,
        true,
        true,
        defaultSequenceLength,
        dtype);
  }

  /**
   * A Llama-style model: rotary positions, SwiGLU MLP, RMSNorm, no biases, untied output
   * projection.
   */
  public static TransformerConfig llama(
      String name,
      int vocab,
      int hidden,
      int blocks,
      int heads,
      int kvHeads,
      int ffn,
      int defaultSequenceLength,
      DType dtype) {
    return new TransformerConfig(
        name,
        vocab,
        hidden,
        blocks,
        heads,
        kvHeads,
        ffn,
        0,
        true,
        false,
        false,
        defaultSequenceLength,
        dtype,
        false);
  }

  /** The width of the queries and of the attention output, heads x headDim (h by default). */
  public long queryWidth() {
    return (long) heads * headDim;
  }

  /** The width of the keys and of the values, kvHeads x headDim. */
  public long keyValueWidth() {
    return (long) kvHeads * headDim;
  }

  /** A copy whose heads are {@code newHeadDim} wide. */
  public TransformerConfig withHeadDim(int newHeadDim) {
    return with(c -> c.headDim = newHeadDim);
  }

  /** A copy with biases on {@code biases}' projections. */
  public TransformerConfig withProjectionBiases(ProjectionBiases biases) {
    return with(c -> c.projectionBiases = biases);
  }

  /** A copy with or without a per-head RMSNorm on the queries and keys. */
  public TransformerConfig withQkNorm(boolean newQkNorm) {
    return with(c -> c.qkNorm = newQkNorm);
  }

  /** A copy whose rotary position embedding has base {@code newRopeTheta}. */
  public TransformerConfig withRopeTheta(long newRopeTheta) {
    return with(c -> c.ropeTheta = newRopeTheta);
  }

  /** A copy with another name. */
  public TransformerConfig withName(String newName) {
    return with(c -> c.name = newName);
  }

  /** A copy that trains in another dtype. */
  public TransformerConfig withDtype(DType newDtype) {
    return with(c -> c.dtype = newDtype);
  }

  /** A copy that trains with dropout or without it. */
  public TransformerConfig withDropout(boolean newDropout) {
    return with(c -> c.dropout = newDropout);
  }

  /** A copy with {@code change} applied to its fields, validated as a new config. */
  private TransformerConfig with(Consumer<Fields> change) {
    Fields f = new Fields(this);
    change.accept(f);
    return new TransformerConfig(
        f.name,
        vocab,
        hidden,
        blocks,
        heads,
        kvHeads,
        ffn,
        positions,
        gated,
        bias,
        tied,
        defaultSequenceLength,
        f.dtype,
        f.dropout,
        f.headDim,
        f.projectionBiases,
        f.qkNorm,
        f.ropeTheta);
  }

  /** The fields a copy may change. */
  private static final class Fields {
    String name;
    boolean dropout;
    int headDim;
    ProjectionBiases projectionBiases;
    boolean qkNorm;
    long ropeTheta;
    DType dtype;

    Fields(TransformerConfig c) {
      name = c.name;
      dtype = c.dtype;
      dropout = c.dropout;
      headDim = c.headDim;
      projectionBiases = c.projectionBiases;
      qkNorm = c.qkNorm;
      ropeTheta = c.ropeTheta;
    }
  }
}
