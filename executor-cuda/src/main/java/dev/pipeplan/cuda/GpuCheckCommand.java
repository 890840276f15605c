package dev.pipeplan.cuda;

import static dev.pipeplan.cuda.CudaMain.EXIT_FAILURE;
import static dev.pipeplan.cuda.CudaMain.EXIT_OK;
import static dev.pipeplan.cuda.CudaMain.GIB;
import static dev.pipeplan.cuda.CudaMain.gptModel;
import static dev.pipeplan.cuda.CudaMain.memoryLine;
import static dev.pipeplan.cuda.CudaMain.openDevice;
import static dev.pipeplan.cuda.CudaMain.plan;
import static dev.pipeplan.cuda.CudaMain.positive;
import static dev.pipeplan.cuda.CudaMain.say;
import static dev.pipeplan.cuda.CudaMain.search;
import static dev.pipeplan.cuda.CudaMain.selfCheck;
import static dev.pipeplan.cuda.CudaMain.training;

import dev.pipeplan.cuda.ops.CudaDevice;
import dev.pipeplan.cuda.runtime.CudaBackend;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.simulator.compare.AccuracyTable;
import dev.pipeplan.simulator.compare.ComparisonText;
import dev.pipeplan.simulator.compare.RunJson;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The GPU issue's experiment: profile, plan per schedule kind, check gradients, run, tabulate. */
@Command(
    name = "gpu-check",
    mixinStandardHelpOptions = true,
    description =
        "Profile a GPT of hidden 2048 on GPU 0, plan it for each schedule kind with the measured costs,"
            + " check each plan's gradients against a sequential run, run it and write accuracy.md.")
final class GpuCheckCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "DIR",
      required = true,
      description = "Output folder.")
  Path dir;

  @Option(
      names = "--hidden",
      defaultValue = "2048",
      description = "Hidden size (default: ${DEFAULT-VALUE}).")
  int hidden;

  @Option(
      names = "--blocks",
      defaultValue = "6",
      description = "Transformer blocks (default: ${DEFAULT-VALUE}).")
  int blocks;

  @Option(
      names = "--heads",
      defaultValue = "16",
      description = "Heads (default: ${DEFAULT-VALUE}).")
  int heads;

  @Option(
      names = "--seq",
      defaultValue = "1024",
      description = "Sequence length (default: ${DEFAULT-VALUE}).")
  int seq;

  @Option(
      names = "--vocab",
      defaultValue = "50257",
      description = "Vocabulary (default: ${DEFAULT-VALUE}).")
  int vocab;

  @Option(
      names = "--pp",
      defaultValue = "2",
      description = "Pipeline devices = streams (default: ${DEFAULT-VALUE}).")
  int pp;

  @Option(
      names = "--microbatches",
      defaultValue = "8",
      description = "m (default: ${DEFAULT-VALUE}).")
  int microBatches;

  @Option(
      names = "--microbatch-size",
      defaultValue = "1",
      description = "b (default: ${DEFAULT-VALUE}).")
  int microBatchSize;

  @Option(
      names = "--kinds",
      split = ",",
      defaultValue = "1f1b,zb-h1,interleaved",
      description = "Schedule kinds (default: ${DEFAULT-VALUE}).")
  List<String> kinds;

  @Option(names = "--iterations", defaultValue = "5", description = "Measured iterations.")
  int iterations;

  @Option(names = "--warmup", defaultValue = "2", description = "Unrecorded iterations.")
  int warmup;

  @Option(
      names = "--profile-streams",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Concurrent streams while profiling (default: --pp, as all stages share this one GPU;"
              + " 1 profiles each layer alone).")
  int profileStreams;

  @Option(
      names = "--skip-self-check",
      description =
          "Skip the self-check (every kernel and cuBLAS product against the host reference, events,"
              + " stream waits, the memory pool) that runs before the experiment.")
  boolean skipSelfCheck;

  @Override
  public Integer call() {
    positive("--pp", pp);
    positive("--microbatches", microBatches);
    positive("--microbatch-size", microBatchSize);
    if (profileStreams < 0) {
      throw new BadInputException(
          "--profile-streams must be >= 1 (or 0 for --pp), got " + profileStreams);
    }
    int sharing = profileStreams == 0 ? pp : profileStreams;
    List<ScheduleKind> parsed = new java.util.ArrayList<>();
    for (String k : kinds) {
      parsed.add(ScheduleKind.parse(k));
    }
    ModelSpec model = gptModel(hidden, blocks, heads, seq, vocab);
    CudaBackend.RunOptions options = new CudaBackend.RunOptions(iterations, warmup, 1L, 1e-4);
    PrintWriter out = spec.commandLine().getOut();
    try (CudaDevice device = openDevice()) {
      say(out, "device: " + device.description());
      if (!skipSelfCheck && !selfCheck(device, out)) {
        return EXIT_FAILURE;
      }
      say(
          out,
          "1/3 profiling "
              + model.name()
              + " ("
              + model.layerCount()
              + " layers) at b = "
              + microBatchSize
              + " with "
              + sharing
              + " concurrent stream(s)");
      Profile profile =
          CudaBackend.profile(
              device,
              model,
              List.of(microBatchSize),
              1,
              3,
              1L,
              sharing,
              line -> say(out, "    " + line));
      AtomicFiles.writeString(dir.resolve("profile.json"), Json.write(profile));
      TrainingSpec training = training(microBatchSize, microBatches, seq);
      SearchOptions search = search(pp, microBatches, microBatchSize).withProfile(profile);
      AccuracyTable table =
          new AccuracyTable(
              model.name(),
              device.description()
                  + "; "
                  + pp
                  + " pipeline devices as CUDA streams on this one GPU; profile "
                  + CudaBackend.sharing(sharing),
              "n/a (GPU)");
      StringBuilder memory =
          new StringBuilder(
              "\n| schedule | predicted peak GiB (sum) | measured pool peak GiB"
                  + " | cudaMemGetInfo used GiB |\n|---|---|---|---|\n");
      List<String> overTolerance = new ArrayList<>();
      for (ScheduleKind kind : parsed) {
        Plan plan = plan(model, training, search, pp, kind);
        PlanJson.write(plan, dir.resolve("plan-" + kind.id() + ".json"));
        say(
            out,
            "2/3 "
                + kind.id()
                + ": partition "
                + plan.partition()
                + ", v "
                + plan.virtualStages()
                + "; gradients against a sequential run...");
        double diff = CudaBackend.gradientDifference(device, plan, 1L);
        say(
            out,
            String.format(
                Locale.ROOT,
                "    gradient difference %.2e (tolerance %.0e)%s",
                diff,
                CudaBackend.GRADIENT_TOLERANCE,
                diff <= CudaBackend.GRADIENT_TOLERANCE ? "" : "  OVER TOLERANCE"));
        if (!(diff <= CudaBackend.GRADIENT_TOLERANCE)) {
          overTolerance.add(kind.id());
        }
        CudaBackend.Result r =
            CudaBackend.run(device, plan, options, line -> say(out, "    " + line));
        RunJson.write(dir.resolve("run-" + kind.id() + ".json"), r.run());
        for (String line : ComparisonText.lines(r.run())) {
          say(out, "    " + line);
        }
        say(out, "    " + memoryLine(r));
        table.add(r.run(), diff);
        memory.append(
            String.format(
                Locale.ROOT,
                "| %s | %.2f | %.2f | %.2f |%n",
                kind.id(),
                r.predictedPeakBytes() / GIB,
                r.measuredPeakBytes() / GIB,
                r.memInfoUsedBytes() / GIB));
      }
      table.finish("n/a (GPU)");
      String md =
          table.markdown()
              + memory
              + "\nGradient tolerance: "
              + CudaBackend.GRADIENT_TOLERANCE
              + " of each parameter's largest gradient (fp32, same GPU, sequential = one stream, F then B per"
              + " micro-batch).\n";
      AtomicFiles.writeString(dir.resolve("accuracy-gpu.md"), md);
      say(out, "3/3 results:");
      out.print(md);
      say(out, "wrote " + dir.resolve("accuracy-gpu.md"));
      if (!overTolerance.isEmpty()) {
        // the timings are still written: they help find the cause
        say(out, "failed: gradients over tolerance for " + String.join(", ", overTolerance));
        return EXIT_FAILURE;
      }
    }
    return EXIT_OK;
  }
}
