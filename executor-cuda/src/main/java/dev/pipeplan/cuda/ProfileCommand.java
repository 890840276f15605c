package dev.pipeplan.cuda;

import static dev.pipeplan.cuda.CudaMain.EXIT_OK;
import static dev.pipeplan.cuda.CudaMain.openDevice;
import static dev.pipeplan.cuda.CudaMain.positive;
import static dev.pipeplan.cuda.CudaMain.requireCuda;
import static dev.pipeplan.cuda.CudaMain.say;

import dev.pipeplan.cuda.ops.CudaDevice;
import dev.pipeplan.cuda.runtime.CudaBackend;
import dev.pipeplan.executor.core.command.ProfileOptions;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.OutputPaths;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code profile --backend cuda}: as {@code pipeplan profile}, on the GPU. */
@Command(
    name = "profile",
    mixinStandardHelpOptions = true,
    description =
        "Measure each layer's F, I and W on GPU 0 at several micro-batch sizes; plan with --profile.")
final class ProfileCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ProfileOptions options;

  @Option(
      names = "--backend",
      paramLabel = "NAME",
      defaultValue = "cuda",
      description = "Must be cuda.")
  String backend;

  @Option(
      names = "--repeats",
      paramLabel = "R",
      defaultValue = "5",
      description = "Recorded runs; median kept.")
  int repeats;

  @Override
  public Integer call() {
    requireCuda(backend);
    List<Integer> sizes = options.sizes();
    if (sizes.isEmpty()) {
      throw new BadInputException(
          "--microbatch-sizes is empty; give at least one size, for example 1,2");
    }
    for (int b : sizes) {
      positive("--microbatch-sizes entry", b);
    }
    ProfileOptions.checkRounds(options.warmup(), repeats);
    positive("--concurrent-workers", options.concurrentWorkers());
    // the GPU is timed with CUDA events whatever the clock; the name is still checked
    options.clock();
    PrintWriter out = spec.commandLine().getOut();
    Path output = options.output();
    OutputPaths.checkFile("-o", output, "profile.json");
    ModelLoader.inputFile(options.model())
        .ifPresent(model -> OutputPaths.requireNotInput("-o", output, "--model", model));
    ModelSpec m = ModelLoader.load(options.model(), options.seq());
    try (CudaDevice device = openDevice()) {
      Profile profile =
          CudaBackend.profile(
              device,
              m,
              List.copyOf(new java.util.TreeSet<>(sizes)),
              options.warmup(),
              repeats,
              1L,
              options.concurrentWorkers(),
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
