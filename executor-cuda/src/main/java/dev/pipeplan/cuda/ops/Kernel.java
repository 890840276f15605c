package dev.pipeplan.cuda.ops;

import java.util.Locale;

/**
 * The kernels of {@code pipeplan_kernels.cu}: their PTX entry names, how they are launched and
 * their parameters. Parameter codes: {@code P} a device pointer, {@code i} an int, {@code l} a
 * long, {@code f} a float. A test checks these signatures against the committed PTX, and every
 * launch (on the GPU or the host) checks its arguments against them.
 */
public enum Kernel {
  EMBEDDING_FORWARD("pp_embedding_forward", KernelGeometry.Shape.ELEMENTWISE, "PPPPiii"),
  EMBEDDING_BACKWARD("pp_embedding_backward", KernelGeometry.Shape.ELEMENTWISE, "PPPPiii"),
  LAYERNORM_FORWARD("pp_layernorm_forward", KernelGeometry.Shape.ROW, "PPPPPPiif"),
  LAYERNORM_BACKWARD("pp_layernorm_backward", KernelGeometry.Shape.ROW, "PPPPPiii"),
  ADD_COLUMN_SUMS("pp_add_column_sums", KernelGeometry.Shape.COLUMN, "PPii"),
  ADD_COLUMN_DOT_SUMS("pp_add_column_dot_sums", KernelGeometry.Shape.COLUMN, "PPPii"),
  ADD_BIAS("pp_add_bias", KernelGeometry.Shape.ELEMENTWISE, "PPii"),
  ADD("pp_add", KernelGeometry.Shape.ELEMENTWISE, "PPl"),
  GELU_FORWARD("pp_gelu_forward", KernelGeometry.Shape.ELEMENTWISE, "PPl"),
  GELU_BACKWARD("pp_gelu_backward", KernelGeometry.Shape.ELEMENTWISE, "PPl"),
  SWIGLU_FORWARD("pp_swiglu_forward", KernelGeometry.Shape.ELEMENTWISE, "PPPl"),
  SWIGLU_BACKWARD("pp_swiglu_backward", KernelGeometry.Shape.ELEMENTWISE, "PPPPPl"),
  CAUSAL_SOFTMAX("pp_causal_softmax", KernelGeometry.Shape.ROW, "Piif"),
  SOFTMAX_BACKWARD("pp_softmax_backward", KernelGeometry.Shape.ROW, "PPiif"),
  CROSS_ENTROPY("pp_cross_entropy", KernelGeometry.Shape.ROW, "PPPiif"),
  SGD_STEP("pp_sgd_step", KernelGeometry.Shape.ELEMENTWISE, "PPfl"),
  ADAM_STEP("pp_adam_step", KernelGeometry.Shape.ELEMENTWISE, "PPPPffffffl");

  private final String entry;
  private final KernelGeometry.Shape shape;
  private final String parameters;

  Kernel(String entry, KernelGeometry.Shape shape, String parameters) {
    this.entry = entry;
    this.shape = shape;
    this.parameters = parameters;
  }

  /** The PTX entry name. */
  public String entry() {
    return entry;
  }

  public KernelGeometry.Shape shape() {
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
