package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;

/**
 * One micro-batch's data on the device: token ids and labels (int32, sample-major), its shape and
 * the loss terms of the whole iteration, by which each micro-batch's loss is scaled so the
 * micro-batches add up to the mean.
 *
 * @param tokens token ids, samples * sequenceLength
 * @param labels next-token labels, the same count
 * @param samples b
 * @param sequenceLength tokens per sample
 * @param lossTerms loss terms of the whole iteration
 * @param featureSeed seed of the random features a model without tokens starts from (see {@link
 *     MlpLayer})
 */
public record DeviceBatch(
    Tensor tokens,
    Tensor labels,
    int samples,
    int sequenceLength,
    long lossTerms,
    long featureSeed) {
  /** Rows of the activations: one per token. */
  public int rows() {
    return samples * sequenceLength;
  }

  /** Uploads a micro-batch's ids and labels. */
  public static DeviceBatch upload(
      Ops ops,
      int[] tokens,
      int[] labels,
      int samples,
      int sequenceLength,
      long lossTerms,
      long featureSeed) {
    return new DeviceBatch(
        ops.uploadInts(tokens),
        ops.uploadInts(labels),
        samples,
        sequenceLength,
        lossTerms,
        featureSeed);
  }

  public void release(Ops ops) {
    ops.free(tokens, labels);
  }
}
