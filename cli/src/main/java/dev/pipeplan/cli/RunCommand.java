package dev.pipeplan.cli;

import dev.pipeplan.executor.PlanRunner;
import dev.pipeplan.executor.runtime.NanoClock;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.simulator.compare.ComparisonText;
import dev.pipeplan.simulator.compare.ErrorInterval;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunJson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pipeplan run}: runs a plan for real on this machine's CPU and compares it with its
 * prediction.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description =
        "Run a plan on this machine's CPU (one worker thread per pipeline device), write the measured"
            + " timelines and print measured against predicted.")
final class RunCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--plan",
      required = true,
      paramLabel = "FILE",
      description = "The plan (from 'pipeplan plan').")
  Path plan;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      defaultValue = "5",
      description =
          "Measured iterations, at least 5: the compared iteration is their median and the error's"
              + " interval is bootstrapped over them (default: ${DEFAULT-VALUE}).")
  int iterations;

  @Option(
      names = "--warmup",
      paramLabel = "K",
      defaultValue = "2",
      description = "Iterations run first and not recorded (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Native threads per worker (default: ${DEFAULT-VALUE}; the launcher sets OMP_NUM_THREADS=1).")
  int threads;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "1",
      description = "Seed of the weights and the synthetic data (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--lr",
      paramLabel = "RATE",
      defaultValue = "0.001",
      description = "Learning rate (default: ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      defaultValue = "run.json",
      description = "Where to write the run (default: ${DEFAULT-VALUE}).")
  Path output;

  @Mixin BackendOption backend;

  /** A measured iteration is the median of at least {@link ErrorInterval#MIN_ITERATIONS}. */
  static void requireEnoughIterations(int iterations) {
    if (iterations < ErrorInterval.MIN_ITERATIONS) {
      throw new BadInputException(
          "--iterations must be at least "
              + ErrorInterval.MIN_ITERATIONS
              + ", got "
              + iterations
              + ": the compared iteration is the median of the measured ones, and their spread gives the"
              + " error's interval");
    }
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    backend.requireCpu();
    requireEnoughIterations(iterations);
    OutputTarget target = OutputTarget.file("-o", output, "run.json");
    Plan p = PlanJson.read(plan);
    PlanRunner.Options options =
        new PlanRunner.Options(iterations, warmup, threads, seed, learningRate);
    MeasuredRun run =
        PlanRunner.run(
            p,
            options,
            NanoClock.system(),
            line -> {
              out.println("  " + line);
              out.flush();
            });
    RunJson.write(output, run);
    for (String line : ComparisonText.lines(run)) {
      out.println(line);
    }
    target.announceCreated(out);
    out.println("wrote " + output);
    out.flush();
    return Main.EXIT_OK;
  }
}
