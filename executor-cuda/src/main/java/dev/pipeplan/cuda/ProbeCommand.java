package dev.pipeplan.cuda;

import static dev.pipeplan.cuda.CudaMain.EXIT_FAILURE;
import static dev.pipeplan.cuda.CudaMain.EXIT_OK;
import static dev.pipeplan.cuda.CudaMain.gptModel;
import static dev.pipeplan.cuda.CudaMain.plan;
import static dev.pipeplan.cuda.CudaMain.positive;
import static dev.pipeplan.cuda.CudaMain.say;
import static dev.pipeplan.cuda.CudaMain.search;
import static dev.pipeplan.cuda.CudaMain.selfCheck;
import static dev.pipeplan.cuda.CudaMain.training;

import dev.pipeplan.cuda.ops.CudaDevice;
import dev.pipeplan.cuda.ops.CudaProbe;
import dev.pipeplan.cuda.ops.SelfCheck;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Checks, in seconds, what gpu-check needs before it spends GPU time: the CUDA libraries load
 * (cudart and cuBLAS, through the JNI libraries in the jars), a device is there, gpu-check's
 * planning runs on this JRE and, on a GPU, the PTX JIT-compiles and every kernel and product gives
 * the host reference's results ({@link SelfCheck}).
 */
@Command(
    name = "probe",
    mixinStandardHelpOptions = true,
    description =
        "Load the CUDA libraries, count devices, plan gpu-check's model for each schedule kind and,"
            + " when a GPU is there, open it and run the self-check (every kernel and cuBLAS product"
            + " against the host reference, events, stream waits, the memory pool; seconds)."
            + " Exit 0 when the GPU is usable and correct, 1 when not.")
final class ProbeCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "DIR",
      description = "Where to write the rehearsal plans.")
  Path dir;

  @Option(
      names = "--pp",
      defaultValue = "2",
      description = "Pipeline devices (default: ${DEFAULT-VALUE}).")
  int pp;

  @Option(
      names = "--kinds",
      split = ",",
      defaultValue = "1f1b,zb-h1,interleaved",
      description = "Schedule kinds to plan (default: ${DEFAULT-VALUE}).")
  List<String> kinds;

  @Option(
      names = "--no-self-check",
      description =
          "Only load the libraries and count devices: do not open GPU 0 and run the self-check.")
  boolean noSelfCheck;

  @Override
  public Integer call() {
    positive("--pp", pp);
    PrintWriter out = spec.commandLine().getOut();
    CudaProbe.Result probe = CudaProbe.probe();
    say(out, "cuda: " + probe.reason());
    ModelSpec model = gptModel(2048, 6, 16, 1024, 50257);
    for (String k : kinds) {
      ScheduleKind kind = ScheduleKind.parse(k);
      Plan plan = plan(model, training(1, 8, 1024), search(pp, 8, 1), pp, kind);
      if (dir != null) {
        PlanJson.write(plan, dir.resolve("probe-plan-" + kind.id() + ".json"));
      }
      say(
          out,
          "planning "
              + kind.id()
              + ": partition "
              + plan.partition()
              + ", v "
              + plan.virtualStages()
              + " (analytic H100 costs; gpu-check plans with the measured profile)");
    }
    if (!probe.available()) {
      return EXIT_FAILURE;
    }
    if (noSelfCheck) {
      return EXIT_OK;
    }
    try (CudaDevice device = CudaDevice.open(0)) {
      say(out, "device: " + device.description());
      return selfCheck(device, out) ? EXIT_OK : EXIT_FAILURE;
    } catch (RuntimeException e) {
      say(out, "self-check FAILED: " + e.getMessage());
      return EXIT_FAILURE;
    }
  }
}
