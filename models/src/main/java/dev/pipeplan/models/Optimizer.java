package dev.pipeplan.models;

/**
 * What the optimizer keeps per parameter, in bytes, besides the weights themselves.
 *
 * @param name "adam-mixed", "adam-fp32", "sgd"
 * @param gradientBytesPerParameter bytes of the gradient buffer per parameter
 * @param stateBytesPerParameter bytes of optimizer state per parameter (for mixed-precision Adam:
 *     fp32 master weights, momentum and variance, 12 bytes)
 */
public record Optimizer(String name, int gradientBytesPerParameter, int stateBytesPerParameter) {
  public Optimizer {
    Checks.nonBlank("optimizer name", name);
    Checks.nonNegative("optimizer gradientBytesPerParameter", gradientBytesPerParameter);
    Checks.nonNegative("optimizer stateBytesPerParameter", stateBytesPerParameter);
  }

  /**
   * Mixed-precision Adam (Megatron, ZeRO paper): 16-bit gradients, fp32 master copy, momentum and
   * variance.
   */
  public static Optimizer adamMixedPrecision() {
    return new Optimizer("adam-mixed", 2, 12);
  }

  /** Adam in fp32: fp32 gradients, momentum and variance. */
  public static Optimizer adamFp32() {
    return new Optimizer("adam-fp32", 4, 8);
  }

  /** Plain SGD in fp32: gradients only. */
  public static Optimizer sgd() {
    return new Optimizer("sgd", 4, 0);
  }

  /**
   * What a model of this dtype trains with unless told otherwise: mixed-precision Adam for 16-bit
   * (and 8-bit) weights, fp32 Adam for fp32 weights, which have no lower-precision copy to keep a
   * master of.
   */
  public static Optimizer defaultFor(DType dtype) {
    return dtype.bytes() >= 4 ? adamFp32() : adamMixedPrecision();
  }

  public static Optimizer parse(String text) {
    if (text == null) {
      throw new BadInputException("optimizer must not be empty; use adam-mixed, adam-fp32 or sgd");
    }
    switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "adam-mixed":
      case "adam":
        return adamMixedPrecision();
      case "adam-fp32":
        return adamFp32();
      case "sgd":
        return sgd();
      default:
        throw new BadInputException(
            "optimizer '" + text + "' is unknown; use adam-mixed, adam-fp32 or sgd");
    }
  }
}
