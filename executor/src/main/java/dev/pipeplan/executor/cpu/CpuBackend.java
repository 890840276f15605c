package dev.pipeplan.executor.cpu;

import dev.pipeplan.models.Checks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The nd4j-native backend. Its thread pools are process-wide: {@link #configure(int)} caps the
 * native threads each op may use, so that p workers, each calling ops from its own Java thread, use
 * p times that many cores. The OpenMP pool itself is sized from OMP_NUM_THREADS when nd4j loads,
 * which the {@code pipeplan} launcher sets to 1.
 */
public final class CpuBackend {
  /** The backend's name in profiles and run files. */
  public static final String NAME = "cpu";

  private CpuBackend() {}

  /**
   * Caps nd4j's native threads per op (and OpenBLAS's) at {@code threadsPerWorker}.
   *
   * @return a description of the settings in force, for run files and profiles
   */
  public static synchronized String configure(int threadsPerWorker) {
    Checks.positive("threads per worker", threadsPerWorker);
    Nd4j.getEnvironment().setMaxThreads(threadsPerWorker);
    Nd4j.getEnvironment().setMaxMasterThreads(threadsPerWorker);
    try {
      Nd4j.factory().blas().setMaxThreads(threadsPerWorker);
    } catch (RuntimeException e) {
      // not every BLAS build lets the thread count change after load; OPENBLAS_NUM_THREADS still
      // applies
    }
    return threadSettings(threadsPerWorker);
  }

  /** "threads per worker 1; OMP_NUM_THREADS=1; OPENBLAS_NUM_THREADS=1". */
  public static String threadSettings(int threadsPerWorker) {
    return "threads per worker "
        + threadsPerWorker
        + "; OMP_NUM_THREADS="
        + env("OMP_NUM_THREADS")
        + "; OPENBLAS_NUM_THREADS="
        + env("OPENBLAS_NUM_THREADS");
  }

  /** Cores the JVM sees. */
  public static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** Processor, cores, OS, JVM and tensor library, on one line. */
  public static String describeMachine() {
    return "processor: "
        + processorName()
        + "; cores: "
        + cores()
        + "; os: "
        + System.getProperty("os.name")
        + " "
        + System.getProperty("os.arch")
        + "; jvm: "
        + System.getProperty("java.vm.name")
        + " "
        + System.getProperty("java.version")
        + "; tensors: nd4j-native "
        + nd4jVersion();
  }

  /** The 1, 5 and 15 minute load averages from /proc/loadavg, or "unknown". */
  public static String loadAverage() {
    Path loadavg = Path.of("/proc/loadavg");
    try {
      String[] parts = Files.readString(loadavg, StandardCharsets.UTF_8).trim().split("\\s+");
      if (parts.length >= 3) {
        return parts[0] + " " + parts[1] + " " + parts[2];
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or not readable
    }
    return "unknown";
  }

  /** The processor's model name from /proc/cpuinfo, or os.arch where there is none. */
  public static String processorName() {
    Path cpuinfo = Path.of("/proc/cpuinfo");
    if (Files.isReadable(cpuinfo)) {
      try {
        List<String> lines = Files.readAllLines(cpuinfo, StandardCharsets.UTF_8);
        for (String line : lines) {
          if (line.toLowerCase(Locale.ROOT).startsWith("model name")) {
            int colon = line.indexOf(':');
            if (colon >= 0) {
              return line.substring(colon + 1).trim();
            }
          }
        }
      } catch (IOException e) {
        // fall through to the architecture
      }
    }
    return System.getProperty("os.arch");
  }

  private static String nd4jVersion() {
    Package p = Nd4j.class.getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    return v == null ? "1.0.0-M2.1" : v;
  }

  private static String env(String name) {
    String v = System.getenv(name);
    return v == null ? "(unset)" : v;
  }
}
