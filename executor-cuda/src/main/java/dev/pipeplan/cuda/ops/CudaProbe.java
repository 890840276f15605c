package dev.pipeplan.cuda.ops;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Whether this process can use a CUDA GPU, found without crashing when it cannot: the JavaCPP
 * presets are loaded inside a catch of {@link LinkageError} (libcudart, libcublas or the driver's
 * libcuda missing), and the device count is asked for only after they load. cuBLAS is loaded here
 * too, so that a missing libcublas is reported as "no CUDA device" with the reason rather than as a
 * linkage error in the middle of a run.
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
    if (!"amd64".equals(System.getProperty("os.arch"))
        && !"x86_64".equals(System.getProperty("os.arch"))) {
      return new Result(
          false,
          0,
          "no CUDA device: the CUDA presets are bundled for linux-x86_64 only, this is "
              + System.getProperty("os.name")
              + " "
              + System.getProperty("os.arch"));
    }
    try {
      int[] count = new int[1];
      int code = org.bytedeco.cuda.global.cudart.cudaGetDeviceCount(count);
      if (code != 0) {
        return new Result(
            false,
            0,
            "no CUDA device: cudaGetDeviceCount returned "
                + code
                + " ("
                + CudaErrors.runtimeName(code)
                + ")");
      }
      if (count[0] <= 0) {
        return new Result(false, 0, "no CUDA device: cudaGetDeviceCount returned 0 devices");
      }
      int[] driver = new int[1];
      int[] runtime = new int[1];
      org.bytedeco.cuda.global.cudart.cudaDriverGetVersion(driver);
      org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion(runtime);
      String cublas = org.bytedeco.javacpp.Loader.load(org.bytedeco.cuda.global.cublas.class);
      return new Result(
          true,
          count[0],
          count[0]
              + " CUDA device(s); driver "
              + version(driver[0])
              + ", runtime "
              + version(runtime[0])
              + "; cuBLAS JNI "
              + new File(cublas).getName());
    } catch (LinkageError e) {
      List<String> missing = missingLibraries(searchPath());
      return new Result(
          false,
          0,
          "no CUDA device: the CUDA libraries did not load ("
              + e
              + ")."
              + (missing.isEmpty()
                  ? ""
                  : " Not found in LD_LIBRARY_PATH or the system library folders: "
                      + String.join(", ", missing)
                      + ".")
              + " libcudart.so.13, libcublas.so.13 (with libcublasLt.so.13) and the driver's libcuda.so.1 must be"
              + " loadable; gpu-bundle/run.sh finds them.");
    }
  }

  /** The libraries the backend needs, each with the name the dynamic loader looks for. */
  public static final List<String> REQUIRED_LIBRARIES =
      List.of("libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcuda.so.1");

  /**
   * The folders of LD_LIBRARY_PATH, then the usual system library folders (the loader cache may
   * hold more).
   */
  static List<Path> searchPath() {
    Set<Path> dirs = new LinkedHashSet<>();
    String ld = System.getenv("LD_LIBRARY_PATH");
    if (ld != null) {
      for (String d : ld.split(File.pathSeparator)) {
        if (!d.isBlank()) {
          dirs.add(Path.of(d));
        }
      }
    }
    for (String d :
        List.of(
            "/lib/x86_64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib64",
            "/lib64",
            "/usr/lib/wsl/lib")) {
      dirs.add(Path.of(d));
    }
    return List.copyOf(dirs);
  }

  /** Which of {@link #REQUIRED_LIBRARIES} none of {@code dirs} holds. */
  public static List<String> missingLibraries(List<Path> dirs) {
    List<String> missing = new ArrayList<>();
    for (String lib : REQUIRED_LIBRARIES) {
      boolean found = false;
      for (Path d : dirs) {
        found |= Files.exists(d.resolve(lib));
      }
      if (!found) {
        missing.add(lib);
      }
    }
    return List.copyOf(missing);
  }

  /** 13000 as "13.0". */
  public static String version(int cudaVersion) {
    return cudaVersion / 1000 + "." + (cudaVersion % 1000) / 10;
  }
}
