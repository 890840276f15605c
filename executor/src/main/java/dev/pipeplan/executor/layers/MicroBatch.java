package dev.pipeplan.executor.layers;

import dev.pipeplan.models.Checks;
import java.util.Objects;

/**
 * The data of one micro-batch: token ids and next-token labels for sequence models, flattened
 * sample-major ({@code samples * sequenceLength} entries), and the number of loss terms of the
 * whole iteration's batch, so that each micro-batch's loss and gradient are already scaled for the
 * sum over micro-batches to be the mean.
 *
 * @param samples b, samples in this micro-batch
 * @param sequenceLength tokens per sample (1 for models without a sequence)
 * @param tokens input token ids, {@code samples * sequenceLength} of them
 * @param labels target token ids, the same count
 * @param lossTerms loss terms in the whole iteration (global batch times sequence length)
 * @param featureSeed seed of the random features and targets used by models that start or end
 *     without tokens
 */
public record MicroBatch(
    int samples, int sequenceLength, int[] tokens, int[] labels, long lossTerms, long featureSeed) {
  public MicroBatch {
    Checks.positive("micro-batch samples", samples);
    Checks.positive("micro-batch sequenceLength", sequenceLength);
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(labels, "labels");
    if (tokens.length != samples * sequenceLength || labels.length != tokens.length) {
      throw new IllegalArgumentException(
          "micro-batch of "
              + samples
              + "x"
              + sequenceLength
              + " has "
              + tokens.length
              + " tokens and "
              + labels.length
              + " labels");
    }
    Checks.positive("micro-batch lossTerms", lossTerms);
  }

  /** Rows of the 2-D activations: one per token. */
  public int rows() {
    return samples * sequenceLength;
  }
}
