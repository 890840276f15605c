package dev.pipeplan.cli;

import dev.pipeplan.executor.cpu.CpuBackend;
import dev.pipeplan.models.BadInputException;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The {@code --backend} option of {@code run} and {@code profile}. This entry point runs the CPU
 * backend; the {@code ./pipeplan} script sends {@code --backend cuda} to the CUDA backend's own
 * entry point (its classpath differs, see docs/gpu.md), so "cuda" only reaches here when the
 * command line was started some other way.
 */
final class BackendOption {
  @Option(
      names = "--backend",
      paramLabel = "NAME",
      defaultValue = "cpu",
      description =
          "cpu (nd4j on this machine's cores; the default), or cuda (an NVIDIA GPU; ./pipeplan starts the CUDA"
              + " backend for it, see docs/gpu.md).")
  String backend;

  /** Refuses any backend but the CPU one, saying where the others are. */
  void requireCpu() {
    String name = backend.trim().toLowerCase(Locale.ROOT);
    if (CpuBackend.NAME.equals(name)) {
      return;
    }
    if ("cuda".equals(name)) {
      throw new BadInputException(
          "--backend cuda runs through the ./pipeplan script, which starts the CUDA backend on its own"
              + " classpath (docs/gpu.md); this entry point runs --backend cpu");
    }
    throw new BadInputException(
        "--backend '" + backend + "' is unknown; use cpu or cuda. Maybe use --backend cpu.");
  }
}
