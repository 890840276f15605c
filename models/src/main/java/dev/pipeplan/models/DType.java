package dev.pipeplan.models;

import java.util.Locale;

/** Numeric formats of weights and activations, with their size in bytes. */
public enum DType {
  FP32(4),
  TF32(4),
  FP16(2),
  BF16(2),
  FP8(1);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }

  /** The lower-case name used in files and on the command line ("bf16"). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static DType parse(String field, String text) {
    for (DType t : values()) {
      if (t.id().equalsIgnoreCase(text == null ? "" : text.trim())) {
        return t;
      }
    }
    throw new BadInputException(
        field + " '" + text + "' is not a dtype; use one of fp32, tf32, fp16, bf16, fp8");
  }
}
