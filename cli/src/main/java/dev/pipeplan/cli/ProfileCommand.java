package dev.pipeplan.cli;

import dev.pipeplan.executor.profile.Profiler;
import dev.pipeplan.executor.runtime.NanoClock;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.ProfileJson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pipeplan profile}: measures a model's per-layer times on this machine. */
@Command(
    name = "profile",
    mixinStandardHelpOptions = true,
    description =
        "Measure each layer's forward (F), input-gradient (I) and weight-gradient (W) time at several"
            + " micro-batch sizes on this machine, and the hand-off time between workers; plan with --profile.")
final class ProfileCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "NAME|FILE",
      description = "A zoo name or a model file.")
  String model;

  @Option(
      names = "--seq",
      paramLabel = "S",
      defaultValue = "0",
      description = "Sequence length (default: the model's own).")
  int seq;

  @Mixin BackendOption backend;

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
      description = "Native threads per worker (default: ${DEFAULT-VALUE}).")
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
      names = "--repeats",
      paramLabel = "R",
      defaultValue = "3",
      description =
          "Recorded rounds per layer and size in each of two passes over the model; the median of both"
              + " passes is kept and their difference reported (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(
      names = "--in-flight",
      paramLabel = "K",
      defaultValue = "2",
      description =
          "Micro-batches per round whose forwards run in a row, activations kept, before their"
              + " backwards, as in a pipeline stage (default: ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(
      names = "--concurrent-workers",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Workers measuring at once, each on its own copy of the layer, as the p workers of a run share"
              + " caches and memory bandwidth (default: ${DEFAULT-VALUE}; use the pipeline degree you will run).")
  int concurrentWorkers;

  @Option(
      names = "--clock",
      paramLabel = "cpu|wall",
      defaultValue = "cpu",
      description =
          "Time layers by the measuring thread's CPU time (cpu, the default: other processes on the"
              + " machine do not inflate it) or by wall time (wall).")
  String clockName;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      defaultValue = "profile.json",
      description = "Where to write the profile (default: ${DEFAULT-VALUE}).")
  Path output;

  /** "repeatability: ..." for a profile, as profile and demo print it. */
  static String repeatabilityLine(Profile.Repeatability r) {
    if (r.medianPassDifference() < 0) {
      return "repeatability: unknown";
    }
    return String.format(
        Locale.ROOT,
        "repeatability: spread over %d repeats (slowest - fastest) / median %.0f%% (median over"
            + " layers, sizes and actions); two passes in a row differ by %.1f%% (median), %.1f%% at most",
        r.repeatsPerPass(),
        100 * r.medianRepeatSpread(),
        100 * r.medianPassDifference(),
        100 * r.maxPassDifference());
  }

  @Override
  public Integer call() {
    backend.requireCpu();
    OutputTarget target = OutputTarget.file("-o", output, "profile.json");
    NanoClock clock;
    switch (clockName.trim().toLowerCase(Locale.ROOT)) {
      case "cpu":
        clock = NanoClock.threadCpu();
        break;
      case "wall":
        clock = NanoClock.system();
        break;
      default:
        throw new BadInputException("clock '" + clockName + "' is unknown; use cpu or wall");
    }
    PrintWriter out = spec.commandLine().getOut();
    ModelSpec m = ModelLoader.load(model, seq);
    Profiler.Options options =
        new Profiler.Options(sizes, warmup, repeats, threads, 1L, concurrentWorkers, inFlight);
    Profile profile =
        Profiler.profile(
            m,
            options,
            clock,
            line -> {
              out.println("  " + line);
              out.flush();
            });
    ProfileJson.write(output, profile);
    out.printf(
        Locale.ROOT,
        "profiled %d layers of %s at b = %s; hand-off %.1f us%n",
        profile.layers().size(),
        m.name(),
        options.microBatchSizes(),
        profile.handoffLatencyNanos() / 1e3);
    out.println("machine: " + profile.machine());
    out.println(repeatabilityLine(profile.repeatability()));
    target.announceCreated(out);
    out.println("wrote " + output);
    out.flush();
    return Main.EXIT_OK;
  }
}
