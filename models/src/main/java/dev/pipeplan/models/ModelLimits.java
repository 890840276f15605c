package dev.pipeplan.models;

/**
 * The largest sizes pipeplan accepts in a model description, whatever its source (the zoo, a
 * Hugging Face {@code config.json}, our model file, a PipeDream {@code graph.txt}, {@code --seq}).
 * Each limit is far above any published model (the largest today have a hidden size of about
 * 25,000, a few hundred thousand vocabulary entries and a few hundred layers), yet small enough
 * that the formulas that multiply these sizes into {@code long} byte counts and {@code double}
 * FLOPs cannot reach a silent overflow for the common products; the rest are computed with {@link
 * Math#multiplyExact(long, long)} and fail with {@link BadInputException} where they would
 * overflow. {@code docs/formats.md} ("Limits") lists them.
 */
public final class ModelLimits {
  /** Hidden size (model width) h: 2^20. GPT-3 has 12,288; Llama-3-405B 16,384. */
  public static final int MAX_HIDDEN = 1 << 20;

  /** The MLP's inner size: 2^22, four times {@link #MAX_HIDDEN} (GPT-style models use 4h). */
  public static final int MAX_FFN = 1 << 22;

  /** Attention heads and key/value heads: 2^16. Published models have at most a few hundred. */
  public static final int MAX_HEADS = 1 << 16;

  /** Vocabulary entries: 2^24. The largest published vocabularies have about 256,000. */
  public static final int MAX_VOCAB = 1 << 24;

  /**
   * Transformer blocks ({@code num_hidden_layers}) and the layers of a model file or graph:
   * 100,000. Published models have at most a few hundred.
   */
  public static final int MAX_LAYERS = 100_000;

  /**
   * Tokens per sample (sequence length, {@code --seq}) and learned position embeddings: 2^22
   * (4,194,304), above the longest contexts trained today. Rotary models accept any sequence up to
   * this limit, even beyond their {@code max_position_embeddings}.
   */
  public static final int MAX_SEQUENCE = 1 << 22;

  /** Batch sizes given with a model (a PipeDream profile's, a model file's micro-batch): 2^24. */
  public static final int MAX_BATCH = 1 << 24;

  /**
   * Any other whole number in a layer's {@code shape} (channels, image height and width, kernel,
   * features): 2^24.
   */
  public static final long MAX_SHAPE_VALUE = 1L << 24;

  /**
   * Trainable parameters of one layer: 2^46 (about 7 x 10^13), above the largest embedding the
   * other limits allow ({@link #MAX_VOCAB} x {@link #MAX_HIDDEN} = 2^44) and some 30 times the
   * parameters of the largest whole models published.
   */
  public static final long MAX_LAYER_PARAMETERS = 1L << 46;

  /**
   * Bytes of one layer per sample (saved activations, output, parameter bytes): 2^53 (8 PiB), tens
   * of thousands of times a GPU's memory; every such count is also exact as a {@code double}.
   */
  public static final long MAX_LAYER_BYTES = 1L << 53;

  /**
   * FLOPs of one layer's forward or backward pass per sample: 10^24, more than the whole training
   * run of most published models; keeps sums of FLOPs far from infinity.
   */
  public static final double MAX_LAYER_FLOPS = 1e24;

  /**
   * A measured time of one layer and micro-batch, in milliseconds: 10^9 (about 11.6 days), so that
   * it is a whole number of nanoseconds far inside a {@code long}.
   */
  public static final double MAX_LAYER_MILLIS = 1e9;

  private ModelLimits() {}

  /**
   * Checks {@code 0 <= value <= limit}.
   *
   * @param field names the value in the message ("m.json: hidden_size")
   * @throws BadInputException naming the field, the value and the limit
   */
  public static long check(String field, long value, long limit) {
    if (value < 0 || value > limit) {
      throw new BadInputException(outOfRange(field, value, limit));
    }
    return value;
  }

  /** The message for a value beyond its limit: "FIELD must be <= LIMIT, got VALUE". */
  public static String outOfRange(String field, long value, long limit) {
    if (value < 0) {
      return field + " must be >= 0, got " + value;
    }
    return field + " (" + value + ") exceeds the limit of " + limit;
  }

  /**
   * {@code a * b} for sizes; an overflow is bad input naming what was multiplied.
   *
   * @param what names the product in the message ("layer 'block0' savedActivationBytes")
   */
  public static long multiply(String what, long a, long b) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      throw tooLarge(what, a + " x " + b);
    }
  }

  /** {@code a + b} for sizes; an overflow is bad input naming what was added. */
  public static long add(String what, long a, long b) {
    try {
      return Math.addExact(a, b);
    } catch (ArithmeticException e) {
      throw tooLarge(what, a + " + " + b);
    }
  }

  private static BadInputException tooLarge(String what, String expression) {
    return new BadInputException(
        what + " overflows a 64-bit count (" + expression + "); the sizes are too large");
  }
}
