package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.SplittableRandom;

/**
 * One small instance of every shared layer kind, built the same way on any {@link Ops}: the same
 * seed gives the same weights, inputs, output gradients and micro-batch on every backend. Shapes
 * are small but make every path run: two samples of three tokens, grouped key/value heads, both MLP
 * activations, biases on and off, the MLP with and without an input, heads wider than hidden /
 * heads with biases on q, k and v only (a Qwen-style block), and the Llama family: an embedding
 * without positions, a block with RMSNorms and rotary embeddings, a Qwen3 block that also
 * normalises each query and key head, and a head with a final RMSNorm. New cases go at the end, so
 * that the seeds of the others (by ordinal) stay.
 */
public enum LayerCase {
  EMBEDDING,
  BLOCK_GELU_WITH_BIAS,
  BLOCK_SWIGLU_GROUPED_KV_NO_BIAS,
  MLP,
  MLP_FIRST_LAYER,
  LM_HEAD,
  BLOCK_SWIGLU_WIDE_HEADS_QKV_BIAS,
  EMBEDDING_ROTARY,
  BLOCK_LLAMA,
  BLOCK_QWEN3,
  LM_HEAD_RMS;

  public static final int SAMPLES = 2;
  public static final int SEQUENCE_LENGTH = 3;
  public static final int ROWS = SAMPLES * SEQUENCE_LENGTH;
  static final int HIDDEN = 8;
  static final int VOCAB = 11;
  static final int HEADS = 4;

  /** Wider than HIDDEN / HEADS = 2: queries and the attention output are 12 wide. */
  static final int WIDE_HEAD_DIM = 3;

  static final int FFN = 12;

  /** Heads of 4: two rotated pairs each, at different frequencies. */
  static final int ROTARY_HEAD_DIM = 4;

  static final int MLP_IN = 5;
  static final int MLP_HIDDEN = 7;
  static final int MLP_OUT = 6;
  static final long LOSS_TERMS = 2L * ROWS;
  static final long FEATURE_SEED = 97;

  /** The layer with weights drawn from this case's own seed. */
  public Layer<?> build(Ops ops) {
    SplittableRandom random = new SplittableRandom(1000 + ordinal());
    return switch (this) {
      case EMBEDDING -> new EmbeddingLayer(ops, "embedding", VOCAB, HIDDEN, 4, random);
      case BLOCK_GELU_WITH_BIAS ->
          new TransformerBlockLayer(ops, "block", HIDDEN, HEADS, HEADS, FFN, false, true, random);
      case BLOCK_SWIGLU_GROUPED_KV_NO_BIAS ->
          new TransformerBlockLayer(ops, "block", HIDDEN, HEADS, 2, FFN, true, false, random);
      case MLP, MLP_FIRST_LAYER -> new MlpLayer(ops, "mlp", MLP_IN, MLP_HIDDEN, MLP_OUT, random);
      case LM_HEAD -> new LmHeadLayer(ops, "lm_head", HIDDEN, VOCAB, random);
      case BLOCK_SWIGLU_WIDE_HEADS_QKV_BIAS ->
          new TransformerBlockLayer(
              ops,
              "block",
              HIDDEN,
              HEADS,
              2,
              WIDE_HEAD_DIM,
              FFN,
              true,
              new TransformerBlockLayer.Biases(true, false, false),
              random);
      case EMBEDDING_ROTARY -> new EmbeddingLayer(ops, "embedding", VOCAB, HIDDEN, 0, random);
      // a small base, so that the second pair turns by a visible angle over three positions
      case BLOCK_LLAMA ->
          new TransformerBlockLayer(
              ops,
              "block",
              HIDDEN,
              HEADS,
              2,
              ROTARY_HEAD_DIM,
              FFN,
              true,
              new TransformerBlockLayer.Biases(false, false, false),
              TransformerBlockLayer.Style.llama(3),
              random);
      case BLOCK_QWEN3 ->
          new TransformerBlockLayer(
              ops,
              "block",
              HIDDEN,
              HEADS,
              2,
              ROTARY_HEAD_DIM,
              FFN,
              true,
              new TransformerBlockLayer.Biases(true, false, false),
              new TransformerBlockLayer.Style(NormKind.RMS, 10_000, true),
              random);
      case LM_HEAD_RMS -> new LmHeadLayer(ops, "lm_head", HIDDEN, VOCAB, NormKind.RMS, random);
    };
  }

  /** Features of each input row; 0 when the layer takes no input. */
  public int inputWidth() {
    return switch (this) {
      case EMBEDDING, EMBEDDING_ROTARY, MLP_FIRST_LAYER -> 0;
      case BLOCK_GELU_WITH_BIAS,
          BLOCK_SWIGLU_GROUPED_KV_NO_BIAS,
          BLOCK_SWIGLU_WIDE_HEADS_QKV_BIAS,
          BLOCK_LLAMA,
          BLOCK_QWEN3,
          LM_HEAD,
          LM_HEAD_RMS ->
          HIDDEN;
      case MLP -> MLP_IN;
    };
  }

  /** Features of each output row; 0 for the loss layer, whose F returns nothing. */
  public int outputWidth() {
    return switch (this) {
      case EMBEDDING,
          EMBEDDING_ROTARY,
          BLOCK_GELU_WITH_BIAS,
          BLOCK_SWIGLU_GROUPED_KV_NO_BIAS,
          BLOCK_SWIGLU_WIDE_HEADS_QKV_BIAS,
          BLOCK_LLAMA,
          BLOCK_QWEN3 ->
          HIDDEN;
      case MLP, MLP_FIRST_LAYER -> MLP_OUT;
      case LM_HEAD, LM_HEAD_RMS -> 0;
    };
  }

  /** Whether I returns an input gradient (the embedding has none). */
  public boolean hasInputGradient() {
    return this != EMBEDDING && this != EMBEDDING_ROTARY;
  }

  /** The layer's input, or null when it takes none. */
  public float[] input() {
    return inputWidth() == 0
        ? null
        : normal(new SplittableRandom(2000 + ordinal()), ROWS * inputWidth());
  }

  /** The gradient of the objective with respect to the output; null for the loss layer. */
  public float[] outputGradient() {
    return outputWidth() == 0
        ? null
        : normal(new SplittableRandom(3000 + ordinal()), ROWS * outputWidth());
  }

  /** The micro-batch: token ids and labels drawn from the vocabulary, on {@code ops}. */
  public DeviceBatch batch(Ops ops) {
    SplittableRandom random = new SplittableRandom(4000 + ordinal());
    int[] tokens = new int[ROWS];
    int[] labels = new int[ROWS];
    for (int i = 0; i < ROWS; i++) {
      tokens[i] = random.nextInt(VOCAB);
      labels[i] = random.nextInt(VOCAB);
    }
    return DeviceBatch.upload(
        ops, tokens, labels, SAMPLES, SEQUENCE_LENGTH, LOSS_TERMS, FEATURE_SEED);
  }

  /** Uploads {@code values}, or returns null for null. */
  public static Tensor upload(Ops ops, float[] values) {
    return values == null ? null : ops.upload(values);
  }

  private static float[] normal(SplittableRandom random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }
}
