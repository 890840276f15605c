package dev.pipeplan.cuda.ops;

/** Turns CUDA, driver and cuBLAS status codes into exceptions that say which call failed. */
public final class CudaErrors {
  private CudaErrors() {}

  /** A failed CUDA call. */
  public static final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaException(String message) {
      super(message);
    }
  }

  /** Throws unless a runtime API call returned cudaSuccess (0). */
  public static void check(int code, String call) {
    if (code != 0) {
      throw new CudaException(
          call + " failed with CUDA error " + code + " (" + runtimeName(code) + ")");
    }
  }

  /** Throws unless a driver API call returned CUDA_SUCCESS (0). */
  public static void checkDriver(int code, String call) {
    if (code != 0) {
      throw new CudaException(
          call + " failed with CUresult " + code + " (" + driverName(code) + ")");
    }
  }

  /** The driver's name for a CUresult, with a hint for the errors a first GPU run may meet. */
  public static String driverName(int code) {
    String name;
    try (org.bytedeco.javacpp.BytePointer s = new org.bytedeco.javacpp.BytePointer()) {
      name =
          org.bytedeco.cuda.global.cudart.cuGetErrorName(code, s) == 0 && !s.isNull()
              ? s.getString()
              : "CUresult " + code;
    } catch (LinkageError e) {
      name = "CUresult " + code;
    }
    switch (code) {
      case 201:
        return name
            + ": no CUDA context is current on this thread; the device must be used from the"
            + " thread that opened it";
      case 209:
        return name
            + ": the PTX was not JIT-compiled for this GPU (compute_90 needs sm_90 or newer)";
      case 218:
        return name + ": the driver cannot JIT this PTX; it needs a CUDA 13 driver";
      case 222:
        return name + ": the driver is older than the PTX's ISA (PTX 9.0 needs a CUDA 13 driver)";
      case 701:
        return name + ": too many registers or threads for this launch";
      default:
        return name;
    }
  }

  /** Throws unless a cuBLAS call returned CUBLAS_STATUS_SUCCESS (0). */
  public static void checkBlas(int status, String call) {
    if (status != 0) {
      throw new CudaException(
          call + " failed with cuBLAS status " + status + " (" + blasName(status) + ")");
    }
  }

  /** cuBLAS's name for a status. */
  public static String blasName(int status) {
    try {
      org.bytedeco.javacpp.BytePointer s =
          org.bytedeco.cuda.global.cublas.cublasGetStatusName(status);
      return s == null || s.isNull() ? "status " + status : s.getString();
    } catch (LinkageError e) {
      return "status " + status;
    }
  }

  /** The runtime's name for an error code, or the number when the library cannot say. */
  public static String runtimeName(int code) {
    try {
      org.bytedeco.javacpp.BytePointer s = org.bytedeco.cuda.global.cudart.cudaGetErrorString(code);
      return s == null ? "error " + code : s.getString();
    } catch (LinkageError e) {
      return "error " + code;
    }
  }
}
