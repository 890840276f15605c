package dev.pipeplan.cuda;

import dev.pipeplan.cuda.ops.CudaDevice;
import dev.pipeplan.cuda.ops.CudaProbe;
import dev.pipeplan.cuda.ops.SelfCheck;
import dev.pipeplan.cuda.runtime.CudaBackend;
import dev.pipeplan.executor.core.command.CommandLines;
import dev.pipeplan.executor.core.command.StacktraceOption;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.TransformerLayers;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

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
      RunCommand.class,
      ProfileCommand.class,
      GpuCheckCommand.class,
      ProbeCommand.class,
      CommandLine.HelpCommand.class
    })
public final class CudaMain implements Runnable {
  public static final int EXIT_OK = CommandLines.EXIT_OK;
  public static final int EXIT_FAILURE = CommandLines.EXIT_FAILURE;
  public static final int EXIT_BAD_INPUT = CommandLines.EXIT_BAD_INPUT;

  @Mixin StacktraceOption stacktrace;

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
    CommandLines.configure(cli, out, err);
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

  static String memoryLine(CudaBackend.Result r) {
    return String.format(
        Locale.ROOT,
        "memory: predicted %.2f GiB (sum over pipeline devices), measured %.2f GiB"
            + " (pool peak incl. weights), cudaMemGetInfo used %.2f GiB",
        r.predictedPeakBytes() / GIB,
        r.measuredPeakBytes() / GIB,
        r.memInfoUsedBytes() / GIB);
  }

  static final double GIB = 1024.0 * 1024 * 1024;

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
