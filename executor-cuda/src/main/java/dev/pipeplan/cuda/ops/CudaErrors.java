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
          call
              + " failed with CUresult "
              + code
              + (code == 218
                  ? " (CUDA_ERROR_INVALID_PTX: the driver cannot JIT this PTX; it needs a CUDA 13 driver)"
                  : code == 222
                      ? " (CUDA_ERROR_UNSUPPORTED_PTX_VERSION: the driver is older than the PTX's ISA)"
                      : ""));
    }
  }

  /** Throws unless a cuBLAS call returned CUBLAS_STATUS_SUCCESS (0). */
  public static void checkBlas(int status, String call) {
    if (status != 0) {
      throw new CudaException(call + " failed with cuBLAS status " + status);
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
