package dev.pipeplan.models;

import java.util.Locale;
import java.util.OptionalLong;

/**
 * Which of a transformer block's five steps a layer runs: a contiguous run of {@link Step}s, in
 * files the bit mask under the shape key {@code part} (bit i for step i; absent for the whole
 * block). A sub-layer partition ({@link SubLayers}) cuts blocks between steps.
 *
 * @param mask the steps, a contiguous run of bits 0..4
 */
public record BlockPart(int mask) {
  /** The steps of a block, in forward order, with what crosses a cut after each. */
  public enum Step {
    /** First norm, QKV projection, rotary embedding. After it: the residual stream and Q, K, V. */
    ATTENTION_IN,
    /**
     * Attention itself (fused or eager). After it: the residual stream and the attention output.
     */
    ATTENTION_CORE,
    /** Output projection, dropout, residual add. After it: the residual stream. */
    ATTENTION_OUT,
    /**
     * Second norm, up projection(s), activation. After it: the residual stream and the activation.
     */
    MLP_IN,
    /** Down projection, dropout, residual add. After it: the residual stream. */
    MLP_OUT;

    int bit() {
      return 1 << ordinal();
    }
  }

  /** Every step: a whole block. */
  public static final BlockPart WHOLE = new BlockPart(0b11111);

  /** The attention sub-layer (Vaswani et al.'s first sub-layer): norm, attention, residual add. */
  public static final BlockPart ATTENTION = new BlockPart(0b00111);

  /** The MLP sub-layer: norm, MLP, residual add. */
  public static final BlockPart MLP = new BlockPart(0b11000);

  public BlockPart {
    if (mask < 1 || mask > WHOLE_MASK || !contiguous(mask)) {
      throw new BadInputException(
          "a transformer_block's shape key 'part' is "
              + mask
              + "; it must be a contiguous run of the bits 1 (attention in), 2 (attention core),"
              + " 4 (attention out), 8 (MLP in) and 16 (MLP out), e.g. 7 for the attention"
              + " sub-layer, 24 for the MLP sub-layer, 31 (or absent) for the whole block");
    }
  }

  private static final int WHOLE_MASK = 0b11111;

  /** The part a shape's {@code part} key names (absent: the whole block). */
  public static BlockPart of(OptionalLong part) {
    if (part.isEmpty()) {
      return WHOLE;
    }
    long p = part.getAsLong();
    if (p < 1 || p > WHOLE_MASK) {
      throw new BadInputException(
          "a transformer_block's shape key 'part' is "
              + p
              + "; it must be in 1.."
              + WHOLE_MASK
              + " (a contiguous run of step bits; 31 or absent for the whole block)");
    }
    return new BlockPart((int) p);
  }

  /** One step alone. */
  public static BlockPart of(Step step) {
    return new BlockPart(step.bit());
  }

  /** Whether this part runs {@code step}. */
  public boolean has(Step step) {
    return (mask & step.bit()) != 0;
  }

  /** True for the whole block. */
  public boolean whole() {
    return mask == WHOLE_MASK;
  }

  /** The last step this part runs: what crosses a cut after it. */
  public Step last() {
    return Step.values()[31 - Integer.numberOfLeadingZeros(mask)];
  }

  /** The first step this part runs. */
  public Step first() {
    return Step.values()[Integer.numberOfTrailingZeros(mask)];
  }

  /** A name for layer names: attention, mlp, or the steps ("attention_in-attention_core"). */
  public String label() {
    if (equals(ATTENTION)) {
      return "attention";
    }
    if (equals(MLP)) {
      return "mlp";
    }
    if (whole()) {
      return "block";
    }
    String first = first().name().toLowerCase(Locale.ROOT);
    String last = last().name().toLowerCase(Locale.ROOT);
    return first.equals(last) ? first : first + "-" + last;
  }

  private static boolean contiguous(int mask) {
    int shifted = mask >>> Integer.numberOfTrailingZeros(mask);
    return (shifted & (shifted + 1)) == 0;
  }
}
