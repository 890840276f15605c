package dev.pipeplan.cuda;

import dev.pipeplan.cuda.ops.CudaDevice;
import dev.pipeplan.cuda.ops.CudaProbe;
import dev.pipeplan.cuda.ops.SelfCheck;
import dev.pipeplan.cuda.runtime.CudaBackend;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.TransformerLayers;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
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

/**
 * The cuda backend's command line, run by {@code ./pipeplan run|profile ... --backend cuda} and by
 * {@code gpu-bundle/run.sh}: {@code run} and {@code profile} take the options of the CPU commands,
 * {@code gpu-check} runs the GPU issue's experiment. Exit codes as {@code pipeplan}: 0 ok, 1
 * failure (no GPU included), 2 bad input.
 */
@Command(
    name = "pipeplan-cuda",
    mixinStandardHelpOptions = true,
    description = "Run plans and profiles on a CUDA GPU.",
    subcommands = {
      CudaMain.Run.class,
      CudaMain.ProfileCmd.class,
      CudaMain.GpuCheck.class,
      CudaMain.Probe.class,
      CommandLine.HelpCommand.class
    })
public final class CudaMain implements Runnable {
  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILURE = 1;
  public static final int EXIT_BAD_INPUT = 2;

  @Option(
      names = "--stacktrace",
      scope = CommandLine.ScopeType.INHERIT,
      description = "Print stack traces of errors.")
  boolean stacktrace;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(
        execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns the exit code. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new CudaMain());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          boolean trace = false;
          for (CommandLine.ParseResult r = parseResult; r != null; r = r.subcommand()) {
            trace |= r.hasMatchedOption("--stacktrace");
          }
          if (trace) {
            ex.printStackTrace(commandLine.getErr());
          }
          if (ex instanceof BadInputException) {
            commandLine.getErr().println("error: " + ex.getMessage());
            return EXIT_BAD_INPUT;
          }
          String m = ex.getMessage();
          commandLine
              .getErr()
              .println("failed: " + (m == null || m.isBlank() ? ex.getClass().getSimpleName() : m));
          return EXIT_FAILURE;
        });
    cli.setParameterExceptionHandler(
        (ex, a) -> {
          ex.getCommandLine().getErr().println("error: " + ex.getMessage());
          ex.getCommandLine()
              .getErr()
              .println(
                  "Try '"
                      + ex.getCommandLine().getCommandSpec().qualifiedName()
                      + " --help' for more information.");
          return EXIT_BAD_INPUT;
        });
    return cli.execute(args);
  }

  static void requireCuda(String backend) {
    if (!CudaBackend.NAME.equals(backend.trim().toLowerCase(Locale.ROOT))) {
      throw new BadInputException(
          "backend '"
              + backend
              + "' is not this command's; it runs --backend cuda."
              + " Maybe use './pipeplan' without --backend for the CPU.");
    }
  }

  static void positive(String option, long value) {
    if (value <= 0) {
      throw new BadInputException(option + " must be > 0, got " + value);
    }
  }

  /** Opens GPU 0, or fails (exit 1) saying why there is none. */
  static CudaDevice openDevice() {
    CudaProbe.Result probe = CudaProbe.probe();
    if (!probe.available()) {
      throw new IllegalStateException(probe.reason());
    }
    return CudaDevice.open(0);
  }

  static void say(PrintWriter out, String line) {
    out.println(line);
    out.flush();
  }

  /** {@code run --backend cuda}: as {@code pipeplan run}, on the GPU. */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description =
          "Run a plan on GPU 0 (one CUDA stream per pipeline device), write the measured timelines and"
              + " print measured against predicted.")
  static final class Run implements Callable<Integer> {
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

  static String memoryLine(CudaBackend.Result r) {
    return String.format(
        Locale.ROOT,
        "memory: predicted %.2f GiB (sum over pipeline devices), measured %.2f GiB"
            + " (pool peak incl. weights), cudaMemGetInfo used %.2f GiB",
        r.predictedPeakBytes() / GIB,
        r.measuredPeakBytes() / GIB,
        r.memInfoUsedBytes() / GIB);
  }

  private static final double GIB = 1024.0 * 1024 * 1024;

  /** {@code profile --backend cuda}: as {@code pipeplan profile}, on the GPU. */
  @Command(
      name = "profile",
      mixinStandardHelpOptions = true,
      description =
          "Measure each layer's F, I and W on GPU 0 at several micro-batch sizes; plan with --profile.")
  static final class ProfileCmd implements Callable<Integer> {
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

  /**
   * The GPU issue's experiment: profile, plan per schedule kind, check gradients, run, tabulate.
   */
  @Command(
      name = "gpu-check",
      mixinStandardHelpOptions = true,
      description =
          "Profile a GPT of hidden 2048 on GPU 0, plan it for each schedule kind with the measured costs,"
              + " check each plan's gradients against a sequential run, run it and write accuracy.md.")
  static final class GpuCheck implements Callable<Integer> {
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

  /**
   * Runs {@link SelfCheck#device} and prints what it found; false when a result was wrong (the run
   * would measure garbage).
   */
  static boolean selfCheck(CudaDevice device, PrintWriter out) {
    SelfCheck.Report report = SelfCheck.device(device, line -> say(out, line));
    for (String w : report.warnings()) {
      say(out, "self-check WARNING: " + w);
    }
    for (String f : report.failures()) {
      say(out, "self-check FAILED: " + f);
    }
    say(
        out,
        report.ok()
            ? "self-check: passed (" + report.warnings().size() + " warning(s))"
            : "self-check: "
                + report.failures().size()
                + " failure(s); not running the experiment (rerun with PIPEPLAN_CUDA_SYNC=1 to name"
                + " the kernel of an asynchronous fault)");
    return report.ok();
  }

  static TrainingSpec training(int microBatchSize, int microBatches, int seq) {
    return new TrainingSpec(
        microBatchSize * microBatches, seq, DType.FP32, Optimizer.adamFp32(), false);
  }

  static SearchOptions search(int pp, int microBatches, int microBatchSize) {
    return SearchOptions.defaults()
        .withPp(pp)
        .withTp(1)
        .withMicroBatches(microBatches)
        .withMicroBatchSize(microBatchSize);
  }

  /**
   * gpu-check's plan for one schedule kind: p pipeline devices, planned as p H100s (they are p
   * streams).
   */
  static Plan plan(
      ModelSpec model, TrainingSpec training, SearchOptions search, int pp, ScheduleKind kind) {
    return PlanBuilder.fromSearch(
        Planner.search(
            model,
            training,
            Clusters.load("h100:1x" + pp),
            search.withKinds(List.of(kind)),
            ProgressListener.none()));
  }

  /**
   * Checks, in seconds, what gpu-check needs before it spends GPU time: the CUDA libraries load
   * (cudart and cuBLAS, through the JNI libraries in the jars), a device is there, gpu-check's
   * planning runs on this JRE and, on a GPU, the PTX JIT-compiles and every kernel and product
   * gives the host reference's results ({@link SelfCheck}).
   */
  @Command(
      name = "probe",
      mixinStandardHelpOptions = true,
      description =
          "Load the CUDA libraries, count devices, plan gpu-check's model for each schedule kind and,"
              + " when a GPU is there, open it and run the self-check (every kernel and cuBLAS product"
              + " against the host reference, events, stream waits, the memory pool; seconds)."
              + " Exit 0 when the GPU is usable and correct, 1 when not.")
  static final class Probe implements Callable<Integer> {
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

  /**
   * A GPT-2-style model (GELU, biases, learned positions, untied head) in fp32 with the given
   * shape.
   */
  public static ModelSpec gptModel(int hidden, int blocks, int heads, int seq, int vocab) {
    return TransformerLayers.build(
        new TransformerConfig(
            "gpt-h" + hidden + "-l" + blocks,
            vocab,
            hidden,
            blocks,
            heads,
            heads,
            4 * hidden,
            seq,
            false,
            true,
            false,
            seq,
            DType.FP32),
        seq);
  }
}
