package dev.pipeplan.cuda;

import static dev.pipeplan.cuda.CudaMain.EXIT_OK;
import static dev.pipeplan.cuda.CudaMain.openDevice;
import static dev.pipeplan.cuda.CudaMain.positive;
import static dev.pipeplan.cuda.CudaMain.requireCuda;
import static dev.pipeplan.cuda.CudaMain.say;

import dev.pipeplan.cuda.ops.CudaDevice;
import dev.pipeplan.cuda.runtime.CudaBackend;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.ModelLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code profile --backend cuda}: as {@code pipeplan profile}, on the GPU. */
@Command(
    name = "profile",
    mixinStandardHelpOptions = true,
    description =
        "Measure each layer's F, I and W on GPU 0 at several micro-batch sizes; plan with --profile.")
final class ProfileCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "NAME|FILE",
      description = "A zoo name or a model file.")
  String model;

  @Option(names = "--seq", paramLabel = "S", defaultValue = "0", description = "Sequence length.")
  int seq;

  @Option(
      names = "--backend",
      paramLabel = "NAME",
      defaultValue = "cuda",
      description = "Must be cuda.")
  String backend;

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
      description = "Accepted; unused on the GPU.")
  int threads;

  @Option(
      names = "--warmup",
      paramLabel = "K",
      defaultValue = "2",
      description = "Unrecorded runs.")
  int warmup;

  @Option(
      names = "--repeats",
      paramLabel = "R",
      defaultValue = "5",
      description = "Recorded runs; median kept.")
  int repeats;

  @Option(
      names = "--concurrent-workers",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Streams that run each layer at once; the profile keeps one stream's times. Give the run's"
              + " pipeline device count p when p stages share this GPU (default: ${DEFAULT-VALUE}, alone).")
  int concurrentWorkers;

  @Option(
      names = "--clock",
      paramLabel = "cpu|wall",
      defaultValue = "cpu",
      description = "Accepted for the CPU command's sake; the GPU is timed with CUDA events.")
  String clockName;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      defaultValue = "profile.json",
      description = "Where to write the profile (default: ${DEFAULT-VALUE}).")
  Path output;

  @Override
  public Integer call() {
    requireCuda(backend);
    if (sizes.isEmpty()) {
      throw new BadInputException(
          "--microbatch-sizes is empty; give at least one size, for example 1,2");
    }
    for (int b : sizes) {
      positive("--microbatch-sizes entry", b);
    }
    positive("--repeats", repeats);
    if (warmup < 0) {
      throw new BadInputException("--warmup must be >= 0, got " + warmup);
    }
    positive("--concurrent-workers", concurrentWorkers);
    String c = clockName.trim().toLowerCase(Locale.ROOT);
    if (!c.equals("cpu") && !c.equals("wall")) {
      throw new BadInputException("clock '" + clockName + "' is unknown; use cpu or wall");
    }
    PrintWriter out = spec.commandLine().getOut();
    ModelSpec m = ModelLoader.load(model, seq);
    try (CudaDevice device = openDevice()) {
      Profile profile =
          CudaBackend.profile(
              device,
              m,
              List.copyOf(new java.util.TreeSet<>(sizes)),
              warmup,
              repeats,
              1L,
              concurrentWorkers,
              line -> say(out, "  " + line));
      AtomicFiles.writeString(output, Json.write(profile));
      say(
          out,
          "profiled "
              + profile.layers().size()
              + " layers of "
              + m.name()
              + "; machine: "
              + profile.machine());
      say(out, "wrote " + output);
    }
    return EXIT_OK;
  }
}
