package dev.pipeplan.models;

import java.util.Locale;

/** How the optimizer's per-parameter bytes are split over the data-parallel replicas. */
public enum OptimizerSharding {
  /** Every replica holds all gradients and all optimizer state. */
  NONE,
  /**
   * ZeRO stage 1 (Megatron's {@code --use-distributed-optimizer}): optimizer state divided by dp.
   */
  ZERO1,
  /** ZeRO stage 2: optimizer state and gradients divided by dp. */
  ZERO2,
  /**
   * ZeRO stage 3 (PyTorch FSDP, DeepSpeed ZeRO-3): weights too are divided by dp; each layer's
   * weights are all-gathered before its forward and its backward, and its gradients
   * reduce-scattered after the backward, overlapped with the neighbouring layers' compute.
   */
  ZERO3;

  /** The lower-case name used in files and on the command line ("zero1"). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean shardsState() {
    return this != NONE;
  }

  public boolean shardsGradients() {
    return this == ZERO2 || this == ZERO3;
  }

  public boolean shardsParameters() {
    return this == ZERO3;
  }

  /** Accepts "none", "zero1", "zero2", "zero3", "fsdp" or the ZeRO stage "0" to "3". */
  public static OptimizerSharding parse(String field, String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    switch (t) {
      case "0":
        return NONE;
      case "1":
        return ZERO1;
      case "2":
        return ZERO2;
      case "3", "fsdp":
        return ZERO3;
      default:
        for (OptimizerSharding o : values()) {
          if (o.id().equals(t)) {
            return o;
          }
        }
        throw new BadInputException(
            field
                + " '"
                + text
                + "' is not an optimizer sharding; use none, zero1, zero2, zero3 or fsdp (or the ZeRO"
                + " stage 0, 1, 2 or 3)");
    }
  }
}
