package dev.pipeplan.models;

import java.util.Locale;

/** How attention is computed, which decides whether the s² score tensors are kept. */
public enum Attention {
  /** Fused attention (FlashAttention): keeps O(s) softmax statistics, never the s² scores. */
  FLASH,
  /**
   * The same fused attention in FlashAttention-2's kernels (PyTorch SDPA's flash backend, the
   * flash-attn 2 package): the same memory as {@link #FLASH}, a slower kernel on Hopper and later
   * GPUs, where {@link #FLASH} prices FlashAttention-3 and cuDNN.
   */
  FLASH2,
  /** Unfused attention: keeps the softmax output (and with dropout its mask and output). */
  EAGER;

  /** The lower-case name used in files and on the command line ("flash"). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Attention parse(String field, String text) {
    for (Attention a : values()) {
      if (a.id().equalsIgnoreCase(text == null ? "" : text.trim())) {
        return a;
      }
    }
    throw new BadInputException(
        field + " '" + text + "' is not an attention; use flash, flash2 or eager");
  }
}
