package dev.pipeplan.cli;

import dev.pipeplan.executor.PlanRunner;
import dev.pipeplan.executor.core.command.RunOptions;
import dev.pipeplan.executor.core.runtime.NanoClock;
import dev.pipeplan.executor.cpu.CpuBackend;
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

/**
 * {@code pipeplan run}: runs a plan for real on this machine's CPU and compares it with its
 * prediction.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description =
        "Run a plan for real on this machine, on its CPU cores (one worker thread per pipeline"
            + " device) or with --backend cuda on one NVIDIA GPU, write the measured timelines and print"
            + " measured against predicted.")
final class RunCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin RunOptions options;

  @Mixin BackendOption backend;

  /**
   * A measured iteration is the median of at least {@link ErrorInterval#MIN_ITERATIONS}, and a run
   * takes at most {@link RunOptions#MAX_ITERATIONS} of each kind.
   */
  static void checkIterations(int iterations, int warmup) {
    RunOptions.checkCounts(iterations, ErrorInterval.MIN_ITERATIONS, warmup);
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    backend.requireCpu();
    checkIterations(options.iterations(), options.warmup());
    Path output = options.output();
    OutputTarget target =
        OutputTarget.file("-o", output, "run.json").notInput("--plan", options.plan());
    Plan p = PlanJson.read(options.plan());
    PlanRunner.Options runOptions =
        new PlanRunner.Options(
            options.iterations(),
            options.warmup(),
            options.threads(),
            options.seed(),
            options.learningRate());
    // said before the minutes of running, once the plan is known to run at all
    PlanRunner.check(p);
    MeasuredRun.otherDevicePrediction(
            CpuBackend.NAME, p.model().name(), p.parallelism().pp(), p.provenance())
        .ifPresent(
            warning -> {
              spec.commandLine().getErr().println("warning: " + warning);
              spec.commandLine().getErr().flush();
            });
    MeasuredRun run =
        PlanRunner.run(
            p,
            runOptions,
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
    for (int i = 0; i < run.losses().size(); i++) {
      if (!Double.isFinite(run.losses().get(i))) {
        // the timings stand; the training they timed does not
        spec.commandLine()
            .getErr()
            .println(
                "warning: the loss is "
                    + run.losses().get(i)
                    + " from measured iteration "
                    + (i + 1)
                    + ": training diverged at --lr "
                    + options.learningRate()
                    + ". The times are still measured; maybe use a smaller --lr");
        spec.commandLine().getErr().flush();
        break;
      }
    }
    return Main.EXIT_OK;
  }
}
