package dev.pipeplan.cli;

import dev.pipeplan.executor.core.command.ProfileOptions;
import dev.pipeplan.executor.core.runtime.NanoClock;
import dev.pipeplan.executor.profile.Profiler;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.ProfileJson;
import java.io.PrintWriter;
import java.nio.file.Path;
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

  @Mixin ProfileOptions options;

  @Mixin BackendOption backend;

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
    Path output = options.output();
    OutputTarget target =
        OutputTarget.file("-o", output, "profile.json").notModelInput("--model", options.model());
    NanoClock clock =
        switch (options.clock()) {
          case CPU -> NanoClock.threadCpu();
          case WALL -> NanoClock.system();
        };
    PrintWriter out = spec.commandLine().getOut();
    ModelSpec m = ModelLoader.load(options.model(), options.seq());
    Profiler.Options profilerOptions =
        new Profiler.Options(
            options.sizes(),
            options.warmup(),
            repeats,
            options.threads(),
            1L,
            options.concurrentWorkers(),
            inFlight);
    Profile profile =
        Profiler.profile(
            m,
            profilerOptions,
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
        profilerOptions.microBatchSizes(),
        profile.handoffLatencyNanos() / 1e3);
    out.println("machine: " + profile.machine());
    out.println(repeatabilityLine(profile.repeatability()));
    target.announceCreated(out);
    out.println("wrote " + output);
    out.flush();
    return Main.EXIT_OK;
  }
}
