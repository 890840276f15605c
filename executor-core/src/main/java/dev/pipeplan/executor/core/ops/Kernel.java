package dev.pipeplan.executor.core.ops;

import java.util.Locale;

/**
 * The element-wise, row and column kernels the layers launch through {@link Ops#launch}: their
 * entry names in the CUDA backend's PTX ({@code pipeplan_kernels.cu}), how they spread their work
 * and their parameters. Parameter codes: {@code P} a device pointer, {@code i} an int, {@code l} a
 * long, {@code f} a float. A test checks these signatures against the committed PTX, and every
 * launch (on the GPU or the host) checks its arguments against them.
 */
public enum Kernel {
  EMBEDDING_FORWARD("pp_embedding_forward", Shape.ELEMENTWISE, "PPPPiii"),
  EMBEDDING_BACKWARD("pp_embedding_backward", Shape.ELEMENTWISE, "PPPPiii"),
  LAYERNORM_FORWARD("pp_layernorm_forward", Shape.ROW, "PPPPPPiif"),
  LAYERNORM_BACKWARD("pp_layernorm_backward", Shape.ROW, "PPPPPiii"),
  ADD_COLUMN_SUMS("pp_add_column_sums", Shape.COLUMN, "PPii"),
  ADD_COLUMN_DOT_SUMS("pp_add_column_dot_sums", Shape.COLUMN, "PPPii"),
  ADD_BIAS("pp_add_bias", Shape.ELEMENTWISE, "PPii"),
  ADD("pp_add", Shape.ELEMENTWISE, "PPl"),
  GELU_FORWARD("pp_gelu_forward", Shape.ELEMENTWISE, "PPl"),
  GELU_BACKWARD("pp_gelu_backward", Shape.ELEMENTWISE, "PPl"),
  SWIGLU_FORWARD("pp_swiglu_forward", Shape.ELEMENTWISE, "PPPl"),
  SWIGLU_BACKWARD("pp_swiglu_backward", Shape.ELEMENTWISE, "PPPPPl"),
  CAUSAL_SOFTMAX("pp_causal_softmax", Shape.ROW, "Piif"),
  SOFTMAX_BACKWARD("pp_softmax_backward", Shape.ROW, "PPiif"),
  CROSS_ENTROPY("pp_cross_entropy", Shape.ROW, "PPPiif"),
  SGD_STEP("pp_sgd_step", Shape.ELEMENTWISE, "PPfl"),
  ADAM_STEP("pp_adam_step", Shape.ELEMENTWISE, "PPPPffffffl"),
  TOKEN_EMBEDDING_FORWARD("pp_token_embedding_forward", Shape.ELEMENTWISE, "PPPii"),
  TOKEN_EMBEDDING_BACKWARD("pp_token_embedding_backward", Shape.ELEMENTWISE, "PPPii"),
  RMSNORM_FORWARD("pp_rmsnorm_forward", Shape.ROW, "PPPPPiif"),
  RMSNORM_BACKWARD("pp_rmsnorm_backward", Shape.ROW, "PPPPPiii"),
  /** Work = rotated pairs, rows x heads x headDim / 2. */
  ROPE("pp_rope", Shape.ELEMENTWISE, "Piiiifi");

  /**
   * How a kernel spreads its work: what the {@code work} count of {@link Ops#launch} counts. A GPU
   * backend derives its grid from it.
   */
  public enum Shape {
    /** Work = elements; a grid-stride loop over them. */
    ELEMENTWISE,
    /** Work = rows; one block per row. */
    ROW,
    /** Work = columns; one thread per column. */
    COLUMN
  }

  private final String entry;
  private final Shape shape;
  private final String parameters;

  Kernel(String entry, Shape shape, String parameters) {
    this.entry = entry;
    this.shape = shape;
    this.parameters = parameters;
  }

  /** The PTX entry name. */
  public String entry() {
    return entry;
  }

  public Shape shape() {
    return shape;
  }

  /** The parameter codes, one character per parameter. */
  public String parameters() {
    return parameters;
  }

  /** Throws when {@code args} do not match the parameters in number and type. */
  public void checkArguments(Object... args) {
    if (args.length != parameters.length()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "kernel %s takes %d arguments (%s), got %d",
              entry,
              parameters.length(),
              parameters,
              args.length));
    }
    for (int i = 0; i < args.length; i++) {
      char code = parameters.charAt(i);
      Object a = args[i];
      boolean ok;
      switch (code) {
        case 'P':
          ok = a instanceof Tensor;
          break;
        case 'i':
          ok = a instanceof Integer;
          break;
        case 'l':
          ok = a instanceof Long;
          break;
        case 'f':
          ok = a instanceof Float;
          break;
        default:
          ok = false;
      }
      if (!ok) {
        throw new IllegalArgumentException(
            "kernel "
                + entry
                + " argument "
                + i
                + " must be of code '"
                + code
                + "', got "
                + (a == null ? "null" : a.getClass().getSimpleName()));
      }
    }
  }
}
