package dev.pipeplan.cuda.ops;

import java.util.Objects;

/**
 * Whether this process can use a CUDA GPU, found without crashing when it cannot: the JavaCPP presets are loaded
 * inside a catch of {@link LinkageError} (libcudart, libcublas or the driver's libcuda missing), and the device
 * count is asked for only after they load.
 */
public final class CudaProbe {
  private static Result cached;

  private CudaProbe() {}

  /**
   * What the probe found.
   *
   * @param available whether a CUDA device can be used
   * @param deviceCount devices seen (0 when none or when the libraries did not load)
   * @param reason why not, or a one-line description of the runtime when available
   */
  public record Result(boolean available, int deviceCount, String reason) {
    public Result {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** Probes once per process and remembers the answer. */
  public static synchronized Result probe() {
    if (cached == null) {
      cached = probeNow();
    }
    return cached;
  }

  private static Result probeNow() {
    if (!"amd64".equals(System.getProperty("os.arch")) && !"x86_64".equals(System.getProperty("os.arch"))) {
      return new Result(false, 0, "no CUDA device: the CUDA presets are bundled for linux-x86_64 only, this is "
          + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    }
    try {
      int[] count = new int[1];
      int code = org.bytedeco.cuda.global.cudart.cudaGetDeviceCount(count);
      if (code != 0) {
        return new Result(false, 0, "no CUDA device: cudaGetDeviceCount returned " + code + " ("
            + CudaErrors.runtimeName(code) + ")");
      }
      if (count[0] <= 0) {
        return new Result(false, 0, "no CUDA device: cudaGetDeviceCount returned 0 devices");
      }
      int[] driver = new int[1];
      int[] runtime = new int[1];
      org.bytedeco.cuda.global.cudart.cudaDriverGetVersion(driver);
      org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion(runtime);
      return new Result(true, count[0], count[0] + " CUDA device(s); driver " + version(driver[0]) + ", runtime "
          + version(runtime[0]));
    } catch (LinkageError e) {
      return new Result(false, 0, "no CUDA device: the CUDA libraries did not load (" + e
          + "). libcudart.so.13, libcublas.so.13 and the driver's libcuda.so.1 must be on LD_LIBRARY_PATH;"
          + " gpu-bundle/run.sh finds them.");
    }
  }

  /** 13000 as "13.0". */
  public static String version(int cudaVersion) {
    return cudaVersion / 1000 + "." + (cudaVersion % 1000) / 10;
  }
}
