package dev.pipeplan.executor.core.runtime;

import dev.pipeplan.executor.core.layers.DeviceBatch;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.models.data.SyntheticTokens;

/** {@link SyntheticTokens} as the executor's micro-batches. */
public final class SyntheticData {
  private final SyntheticTokens tokens;
  private final int sequenceLength;

  /**
   * @param seed root seed
   * @param vocabulary token ids are 0 .. vocabulary-1 (1 for models without tokens)
   * @param sequenceLength tokens per sample
   * @param globalBatch samples per iteration
   */
  public SyntheticData(long seed, int vocabulary, int sequenceLength, int globalBatch) {
    this.tokens = new SyntheticTokens(seed, vocabulary, sequenceLength, globalBatch);
    this.sequenceLength = sequenceLength;
  }

  /**
   * The micro-batch holding samples {@code first .. first+samples-1} of the iteration's global
   * batch, uploaded to {@code ops} (the caller releases it).
   */
  public DeviceBatch microBatch(Ops ops, int iteration, int first, int samples) {
    SyntheticTokens.Batch batch = tokens.samples(iteration, first, samples);
    return DeviceBatch.upload(
        ops,
        batch.tokens(),
        batch.labels(),
        samples,
        sequenceLength,
        tokens.lossTerms(),
        batch.featureSeed());
  }
}
