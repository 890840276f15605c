package dev.pipeplan.models;

/**
 * A layer's saved activations per sample, split by what the memory modes do to each part (see
 * {@code docs/design.md}, "Cost model"). For a GPT block in 16-bit with dropout (Korthikanti et
 * al., "Reducing Activation Recomputation in Large Transformer Models", MLSys 2023, Table 2) the
 * parts are 24·s·h, 8·s·h, 2·s·h, 2·a·s² and 3·a·s², summing to s·h·(34 + 5·a·s/h).
 *
 * @param tensorShardedBytes tensors every tensor-parallel rank holds a 1/t slice of: Q, K, V, the
 *     attention output, the MLP's inner activations, the loss's logits
 * @param sequenceShardedBytes tensors replicated over the tensor-parallel ranks unless sequence
 *     parallelism splits them: the norms' inputs and the inputs of the QKV and MLP projections
 * @param dropoutMaskBytes the 1-byte masks of the hidden-size dropouts (replicated like the
 *     previous part); zero for a model that trains without dropout
 * @param attentionScoreBytes the softmax output, a·s² elements: kept by eager attention without
 *     selective recomputation; fused (flash) attention never stores it
 * @param attentionDropoutBytes the attention dropout's mask and output, a·s² elements each: kept
 *     like the scores, and zero for a model without dropout
 * @param flashStatisticsBytes what fused attention keeps instead of the scores: one fp32 softmax
 *     statistic (log-sum-exp) per head and token
 */
public record ActivationBytes(
    long tensorShardedBytes,
    long sequenceShardedBytes,
    long dropoutMaskBytes,
    long attentionScoreBytes,
    long attentionDropoutBytes,
    long flashStatisticsBytes) {

  public ActivationBytes {
    ModelLimits.check("tensorShardedBytes", tensorShardedBytes, ModelLimits.MAX_LAYER_BYTES);
    ModelLimits.check("sequenceShardedBytes", sequenceShardedBytes, ModelLimits.MAX_LAYER_BYTES);
    ModelLimits.check("dropoutMaskBytes", dropoutMaskBytes, ModelLimits.MAX_LAYER_BYTES);
    ModelLimits.check("attentionScoreBytes", attentionScoreBytes, ModelLimits.MAX_LAYER_BYTES);
    ModelLimits.check("attentionDropoutBytes", attentionDropoutBytes, ModelLimits.MAX_LAYER_BYTES);
    ModelLimits.check("flashStatisticsBytes", flashStatisticsBytes, ModelLimits.MAX_LAYER_BYTES);
    // Six parts of at most 2^53 each: the sum fits a long.
    ModelLimits.check(
        "savedActivationBytes (the sum of the parts)",
        tensorShardedBytes
            + sequenceShardedBytes
            + dropoutMaskBytes
            + attentionScoreBytes
            + attentionDropoutBytes,
        ModelLimits.MAX_LAYER_BYTES);
  }

  /**
   * A layer known only by its total: all of it split over the tensor-parallel ranks, as pipeplan
   * priced every layer before the parts existed (and still prices model files without them).
   */
  public static ActivationBytes ofTotal(long savedActivationBytes) {
    return new ActivationBytes(savedActivationBytes, 0, 0, 0, 0, 0);
  }

  /**
   * Everything kept with eager attention and no recomputation on one device: the layer's {@code
   * savedActivationBytes}.
   */
  public long total() {
    return tensorShardedBytes
        + sequenceShardedBytes
        + dropoutMaskBytes
        + attentionScoreBytes
        + attentionDropoutBytes;
  }

  /** The same parts without dropout: no masks, no attention dropout output. */
  public ActivationBytes withoutDropout() {
    return new ActivationBytes(
        tensorShardedBytes, sequenceShardedBytes, 0, attentionScoreBytes, 0, flashStatisticsBytes);
  }

  /** True when only {@link #tensorShardedBytes} is non-zero: a layer known by its total. */
  public boolean totalOnly() {
    return sequenceShardedBytes == 0
        && dropoutMaskBytes == 0
        && attentionScoreBytes == 0
        && attentionDropoutBytes == 0
        && flashStatisticsBytes == 0;
  }
}
