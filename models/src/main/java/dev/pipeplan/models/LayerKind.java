package dev.pipeplan.models;

import java.util.Locale;

/** What a layer computes; executable backends build a real layer from the kind and its shape. */
public enum LayerKind {
  EMBEDDING,
  TRANSFORMER_BLOCK,
  MLP,
  LM_HEAD,
  CONV,
  POOL,
  LINEAR,
  NORM,
  OTHER;

  /** The lower-case name used in files ("transformer_block"). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static LayerKind parse(String field, String text) {
    String t = text == null ? "" : text.trim().replace('-', '_');
    for (LayerKind k : values()) {
      if (k.name().equalsIgnoreCase(t)) {
        return k;
      }
    }
    throw new BadInputException(
        field
            + " '"
            + text
            + "' is not a layer kind; use one of embedding, transformer_block, mlp, lm_head, conv,"
            + " pool, linear, norm, other");
  }
}
