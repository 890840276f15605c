package dev.pipeplan.cuda;

import static dev.pipeplan.cuda.CudaMain.EXIT_OK;
import static dev.pipeplan.cuda.CudaMain.memoryLine;
import static dev.pipeplan.cuda.CudaMain.openDevice;
import static dev.pipeplan.cuda.CudaMain.positive;
import static dev.pipeplan.cuda.CudaMain.requireCuda;
import static dev.pipeplan.cuda.CudaMain.say;

import dev.pipeplan.cuda.ops.CudaDevice;
import dev.pipeplan.cuda.runtime.CudaBackend;
import dev.pipeplan.executor.core.command.RunOptions;
import dev.pipeplan.models.io.OutputPaths;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.simulator.compare.ComparisonText;
import dev.pipeplan.simulator.compare.RunJson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code run --backend cuda}: as {@code pipeplan run}, on the GPU. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description =
        "Run a plan on GPU 0 (one CUDA stream per pipeline device), write the measured timelines and"
            + " print measured against predicted.")
final class RunCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin RunOptions options;

  @Option(
      names = "--backend",
      paramLabel = "NAME",
      defaultValue = "cuda",
      description = "Must be cuda.")
  String backend;

  @Override
  public Integer call() {
    requireCuda(backend);
    positive("--threads", options.threads());
    RunOptions.checkCounts(options.iterations(), 1, options.warmup());
    PrintWriter out = spec.commandLine().getOut();
    CudaBackend.RunOptions runOptions =
        new CudaBackend.RunOptions(
            options.iterations(), options.warmup(), options.seed(), options.learningRate());
    Path output = options.output();
    OutputPaths.checkFile("-o", output, "run.json");
    OutputPaths.requireNotInput("-o", output, "--plan", options.plan());
    Plan p = PlanJson.read(options.plan());
    CudaBackend.check(p);
    try (CudaDevice device = openDevice()) {
      CudaBackend.Result r = CudaBackend.run(device, p, runOptions, line -> say(out, "  " + line));
      RunJson.write(output, r.run());
      for (String line : ComparisonText.lines(r.run())) {
        out.println(line);
      }
      out.println(memoryLine(r));
      out.println("wrote " + output);
      out.flush();
    }
    return EXIT_OK;
  }
}
