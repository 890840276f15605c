package dev.pipeplan.models.data;

import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * Seeded synthetic training data that a language model can learn: each sample is a walk along a
 * fixed random successor table of the vocabulary from a random start, and the label of each token
 * is its successor. A sample depends only on the seed, the iteration and its index in the global
 * batch, so the same batch split into other micro-batch sizes has the same samples.
 */
public final class SyntheticTokens {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final long seed;
  private final int vocabulary;
  private final int sequenceLength;
  private final long lossTerms;
  private final int[] successor;

  /**
   * Some samples of one iteration, flattened sample-major.
   *
   * @param tokens input token ids, {@code samples * sequenceLength} of them
   * @param labels the next token of each input token
   * @param featureSeed a seed for the random features and targets of models that start or end
   *     without tokens
   */
  public record Batch(int[] tokens, int[] labels, long featureSeed) {}

  /**
   * @param seed root seed
   * @param vocabulary token ids are 0 .. vocabulary-1 (1 for models without tokens)
   * @param sequenceLength tokens per sample
   * @param globalBatch samples per iteration
   */
  public SyntheticTokens(long seed, int vocabulary, int sequenceLength, int globalBatch) {
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

  /**
   * Tokens per sample of a model: its sequence length, or the first embedding, block or head's
   * {@code seq} dimension, or 1.
   */
  public static int sequenceLength(ModelSpec model) {
    if (model.sequenceLength() > 0) {
      return model.sequenceLength();
    }
    for (LayerSpec spec : model.layers()) {
      OptionalLong seq = seq(spec.shape());
      if (seq.isPresent()) {
        return spec.intDimension("seq", seq.getAsLong());
      }
    }
    return 1;
  }

  /** The vocabulary of a model's embedding (or LM head), or 0 when it has none. */
  public static int vocabulary(ModelSpec model) {
    for (LayerSpec spec : model.layers()) {
      OptionalLong vocab = vocab(spec.shape());
      if (vocab.isPresent()) {
        return spec.intDimension("vocab", vocab.getAsLong());
      }
    }
    return 0;
  }

  private static OptionalLong seq(LayerShape shape) {
    if (shape instanceof LayerShape.Embedding e) {
      return e.seq();
    }
    if (shape instanceof LayerShape.TransformerBlock b) {
      return b.seq();
    }
    if (shape instanceof LayerShape.LmHead h) {
      return h.seq();
    }
    return OptionalLong.empty();
  }

  private static OptionalLong vocab(LayerShape shape) {
    if (shape instanceof LayerShape.Embedding e) {
      return e.vocab();
    }
    if (shape instanceof LayerShape.LmHead h) {
      return h.vocab();
    }
    return OptionalLong.empty();
  }

  /** Loss terms of a whole iteration: global batch times sequence length. */
  public long lossTerms() {
    return lossTerms;
  }

  /** Samples {@code first .. first+samples-1} of the iteration's global batch. */
  public Batch samples(int iteration, int first, int samples) {
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
    return new Batch(tokens, labels, mix(iteration, -1 - first));
  }

  private long mix(long iteration, long sample) {
    long h = seed ^ (iteration * GOLDEN) ^ (sample * 0xC2B2AE3D27D4EB4FL);
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    return h ^ (h >>> 29);
  }
}
