package dev.pipeplan.models;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/** Which activations the backward recomputes instead of keeping them from the forward. */
public enum Recompute {
  /** Everything the backward needs is kept. */
  NONE,
  /**
   * Korthikanti et al.'s selective recomputation: the attention core (QKᵀ, softmax, dropout, ·V) is
   * recomputed, so its a·s² tensors are not kept.
   */
  SELECTIVE,
  /**
   * Per-layer checkpointing: only each layer's input is kept, and the backward recomputes one layer
   * at a time into a workspace of that layer's activations.
   */
  FULL;

  /** The lower-case name used in files and on the command line ("selective"). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Recompute parse(String field, String text) {
    for (Recompute r : values()) {
      if (r.id().equalsIgnoreCase(text == null ? "" : text.trim())) {
        return r;
      }
    }
    throw new BadInputException(
        field + " '" + text + "' is not a recomputation; use none, selective or full");
  }

  /**
   * Reads a plan or training file's value: a name, or the boolean older files wrote (true meant
   * full recomputation, false none).
   */
  @JsonCreator
  public static Recompute fromJson(Object value) {
    if (value instanceof Boolean) {
      return (Boolean) value ? FULL : NONE;
    }
    return parse("recompute", value == null ? null : value.toString());
  }
}
