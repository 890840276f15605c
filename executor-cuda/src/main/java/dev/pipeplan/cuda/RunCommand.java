package dev.pipeplan.cuda;

import static dev.pipeplan.cuda.CudaMain.EXIT_OK;
import static dev.pipeplan.cuda.CudaMain.memoryLine;
import static dev.pipeplan.cuda.CudaMain.openDevice;
import static dev.pipeplan.cuda.CudaMain.plan;
import static dev.pipeplan.cuda.CudaMain.positive;
import static dev.pipeplan.cuda.CudaMain.requireCuda;
import static dev.pipeplan.cuda.CudaMain.say;

import dev.pipeplan.cuda.ops.CudaDevice;
import dev.pipeplan.cuda.runtime.CudaBackend;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.simulator.compare.ComparisonText;
import dev.pipeplan.simulator.compare.RunJson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
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

  @Option(
      names = "--plan",
      required = true,
      paramLabel = "FILE",
      description = "The plan (from 'pipeplan plan').")
  Path plan;

  @Option(
      names = "--backend",
      paramLabel = "NAME",
      defaultValue = "cuda",
      description = "Must be cuda.")
  String backend;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      defaultValue = "5",
      description = "Measured iterations.")
  int iterations;

  @Option(
      names = "--warmup",
      paramLabel = "K",
      defaultValue = "2",
      description = "Unrecorded iterations first.")
  int warmup;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "1",
      description = "Accepted for the CPU command's sake; the GPU is fed by one host thread.")
  int threads;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "1",
      description = "Seed of weights and data.")
  long seed;

  @Option(
      names = "--lr",
      paramLabel = "RATE",
      defaultValue = "0.001",
      description = "Learning rate.")
  double learningRate;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      defaultValue = "run.json",
      description = "Where to write the run (default: ${DEFAULT-VALUE}).")
  Path output;

  @Override
  public Integer call() {
    requireCuda(backend);
    positive("--threads", threads);
    PrintWriter out = spec.commandLine().getOut();
    CudaBackend.RunOptions options =
        new CudaBackend.RunOptions(iterations, warmup, seed, learningRate);
    Plan p = PlanJson.read(plan);
    CudaBackend.check(p);
    try (CudaDevice device = openDevice()) {
      CudaBackend.Result r = CudaBackend.run(device, p, options, line -> say(out, "  " + line));
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
