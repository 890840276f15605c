package dev.pipeplan.executor.core.command;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.WorkLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The options of {@code profile} on every backend: the model, the micro-batch sizes, warm-up,
 * concurrent workers, the clock, native threads and where the profile goes. {@code --repeats} stays
 * with each backend's command, since its default and meaning differ (the CPU takes the median of
 * two passes of R rounds, the GPU the median of R runs).
 */
public final class ProfileOptions {
  /** The most warm-up or recorded rounds per layer and size a profile takes. */
  public static final int MAX_ROUNDS = 1000;

  /** Refuses warm-up rounds outside 0..{@link #MAX_ROUNDS} and repeats outside 1..the same. */
  public static void checkRounds(int warmup, int repeats) {
    if (warmup < 0 || warmup > MAX_ROUNDS) {
      throw new dev.pipeplan.models.BadInputException(
          "--warmup must be between 0 and " + MAX_ROUNDS + ", got " + warmup);
    }
    if (repeats < 1 || repeats > MAX_ROUNDS) {
      throw new dev.pipeplan.models.BadInputException(
          "--repeats must be between 1 and " + MAX_ROUNDS + ", got " + repeats);
    }
  }

  /** What {@code --clock} names. */
  public enum Clock {
    /** The measuring thread's CPU time. */
    CPU,
    /** Wall-clock time. */
    WALL
  }

  @Option(
      names = "--model",
      required = true,
      paramLabel = "NAME|FILE",
      description = "A zoo name or a model file.")
  String model;

  @Option(
      names = "--seq",
      paramLabel = "S",
      description = "Sequence length (default: the model's own).")
  Integer seq;

  @Option(
      names = "--microbatch-sizes",
      paramLabel = "B,...",
      split = ",",
      defaultValue = "1,2,4,8",
      description = "Micro-batch sizes to measure (default: ${DEFAULT-VALUE}).")
  List<Integer> sizes;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Native threads per worker on the CPU (default: ${DEFAULT-VALUE}); unused on the GPU.")
  int threads;

  @Option(
      names = "--warmup",
      paramLabel = "K",
      defaultValue = "2",
      description =
          "Unrecorded rounds per layer and size, all run before anything is timed (JIT warm-up;"
              + " default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--concurrent-workers",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Workers (on the GPU: streams) measuring at once, each on its own copy of the layer, as the p"
              + " workers of a run share caches and memory bandwidth (default: ${DEFAULT-VALUE}; use the"
              + " pipeline degree you will run).")
  int concurrentWorkers;

  @Option(
      names = "--clock",
      paramLabel = "cpu|wall",
      defaultValue = "cpu",
      description =
          "Time layers by the measuring thread's CPU time (cpu, the default: other processes on the"
              + " machine do not inflate it) or by wall time (wall). The GPU is timed with CUDA events"
              + " and accepts either.")
  String clockName;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      defaultValue = "profile.json",
      description = "Where to write the profile (default: ${DEFAULT-VALUE}).")
  Path output;

  public String model() {
    return model;
  }

  /** The sequence length to profile at, 0 for the model's own (--seq left out). */
  public int seq() {
    return WorkLimits.sequenceLengthOption(seq);
  }

  /** The sizes as given, in order, repeats included. */
  public List<Integer> sizes() {
    return List.copyOf(sizes);
  }

  public int threads() {
    return threads;
  }

  public int warmup() {
    return warmup;
  }

  public int concurrentWorkers() {
    return concurrentWorkers;
  }

  public Path output() {
    return output;
  }

  /** The clock {@code --clock} names, or a bad-input error naming the value and the choices. */
  public Clock clock() {
    switch (clockName.trim().toLowerCase(Locale.ROOT)) {
      case "cpu":
        return Clock.CPU;
      case "wall":
        return Clock.WALL;
      default:
        throw new BadInputException("clock '" + clockName + "' is unknown; use cpu or wall");
    }
  }
}
