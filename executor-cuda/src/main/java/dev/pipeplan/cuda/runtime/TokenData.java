package dev.pipeplan.cuda.runtime;

import java.util.SplittableRandom;

/**
 * The CPU executor's synthetic data (executor's {@code SyntheticData}, duplicated here because this module must not
 * depend on the nd4j one; keep the two in step): each sample walks a fixed random successor table from a random
 * start, each label is the next token, a sample depends only on the seed, the iteration and its index in the batch.
 */
public final class TokenData {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final long seed;
  private final int vocabulary;
  private final int sequenceLength;
  private final long lossTerms;
  private final int[] successor;

  public TokenData(long seed, int vocabulary, int sequenceLength, int globalBatch) {
    this.seed = seed;
    this.vocabulary = Math.max(1, vocabulary);
    this.sequenceLength = sequenceLength;
    this.lossTerms = (long) globalBatch * sequenceLength;
    this.successor = new int[this.vocabulary];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < successor.length; i++) {
      successor[i] = r.nextInt(this.vocabulary);
    }
  }

  public long lossTerms() {
    return lossTerms;
  }

  /** {tokens, labels} of samples {@code first .. first+samples-1} of the iteration's batch. */
  public int[][] microBatch(int iteration, int first, int samples) {
    int[] tokens = new int[samples * sequenceLength];
    int[] labels = new int[tokens.length];
    for (int i = 0; i < samples; i++) {
      SplittableRandom r = new SplittableRandom(mix(iteration, first + i));
      int token = r.nextInt(vocabulary);
      for (int t = 0; t < sequenceLength; t++) {
        tokens[i * sequenceLength + t] = token;
        token = successor[token];
        labels[i * sequenceLength + t] = token;
      }
    }
    return new int[][] {tokens, labels};
  }

  private long mix(long iteration, long sample) {
    long h = seed ^ (iteration * GOLDEN) ^ (sample * 0xC2B2AE3D27D4EB4FL);
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    return h ^ (h >>> 29);
  }
}
