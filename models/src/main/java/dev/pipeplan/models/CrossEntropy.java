package dev.pipeplan.models;

import java.util.Locale;

/**
 * How the loss over the vocabulary runs: the memory passes of the LM head beside its GEMM, and the
 * logits it keeps for the backward. The engine sources are in {@code docs/design.md} ("Cross
 * entropy").
 */
public enum CrossEntropy {
  /**
   * One kernel per step in fp32, as the engines run it by default (Megatron-Core's {@code
   * VocabParallelCrossEntropy}; PyTorch's {@code cross_entropy} on upcast logits): the forward
   * casts the logits to fp32 and keeps the fp32 softmax for the backward (4 bytes per logit).
   */
  UNFUSED,
  /**
   * TransformerEngine's cross-entropy kernels (Megatron-Core's {@code --cross-entropy-loss-fusion
   * --cross-entropy-fusion-impl te}; Liger's cross-entropy makes the same passes): the forward
   * reads the 16-bit logits once for the running maximum and sum of exponentials and once more to
   * write the loss and the logits' gradient over them in place; the backward scales that gradient.
   * The 16-bit logits are what the head keeps (e bytes per logit).
   */
  FUSED;

  /** The lower-case name used in files and on the command line. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Bytes per logit the head keeps from its forward to its backward, for a training dtype of {@code
   * dtypeBytes}.
   */
  public int keptBytesPerLogit(int dtypeBytes) {
    return this == FUSED ? dtypeBytes : 4;
  }

  public static CrossEntropy parse(String field, String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    for (CrossEntropy c : values()) {
      if (c.id().equals(t)) {
        return c;
      }
    }
    throw new BadInputException(
        field + " '" + text + "' is not a cross-entropy implementation; use unfused or fused");
  }
}
