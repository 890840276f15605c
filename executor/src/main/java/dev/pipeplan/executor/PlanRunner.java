package dev.pipeplan.executor;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.run.Fp32LayerMemory;
import dev.pipeplan.executor.core.run.PlanChecks;
import dev.pipeplan.executor.core.runtime.NanoClock;
import dev.pipeplan.executor.core.runtime.PipelineConfig;
import dev.pipeplan.executor.core.runtime.ThreadedRunner;
import dev.pipeplan.executor.core.train.OptimizerSettings;
import dev.pipeplan.executor.cpu.CpuBackend;
import dev.pipeplan.executor.cpu.Nd4jOps;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Runs a plan on the CPU backend and returns what was measured beside what was predicted. The
 * plan's schedule is regenerated and its prediction replayed exactly as the planner made them
 * ({@link PlanPrediction}); a plan the executor cannot honour (data or tensor parallelism,
 * predicted memory over the limit) is refused before any worker starts.
 */
public final class PlanRunner {
  private PlanRunner() {}

  /**
   * How to run.
   *
   * @param iterations measured iterations, at least 1
   * @param warmup iterations run first and not recorded (JIT, allocator and cache warm-up)
   * @param threadsPerWorker native threads per op in each worker
   * @param seed root seed of weights and data
   * @param learningRate the optimizer's step size (Adam when the plan's optimizer is Adam, else
   *     SGD)
   */
  public record Options(
      int iterations, int warmup, int threadsPerWorker, long seed, double learningRate) {
    public Options {
      Checks.positive("iterations", iterations);
      Checks.nonNegative("warmup", warmup);
      dev.pipeplan.executor.core.command.RunOptions.checkThreads(threadsPerWorker);
      Checks.positive("learning rate", learningRate);
    }

    public static Options defaults() {
      return new Options(5, 2, 1, 1L, 1e-3);
    }
  }

  /** Refuses plans the CPU executor cannot run as planned; returns quietly otherwise. */
  public static void check(Plan plan) {
    // first: FP8 linears run on no executor, whatever the plan's parallelism
    PlanChecks.requireNoFp8Linears(plan, "the CPU executor");
    PlanChecks.requireOnePipelineReplica(
        plan,
        "the CPU executor",
        "Maybe plan with --tp 1 on a cluster of pp devices, for example --cluster cpu:1x2 --pp 2.");
    PlanChecks.requireSynchronousStep(plan, "the CPU executor");
    PlanChecks.requireWholeLayers(plan, "the CPU executor");
    long limit = plan.predicted().memoryLimitBytes();
    for (DeviceMetrics d : plan.predicted().devices()) {
      if (d.peakMemoryBytes() > limit) {
        throw new BadInputException(
            String.format(
                Locale.ROOT,
                "pipeline device %d is predicted to need %.1f MiB, over its limit of %.1f MiB; the plan is not run."
                    + " Maybe plan again with fewer micro-batches in flight or more devices.",
                d.device(),
                d.peakMemoryBytes() / 1048576.0,
                limit / 1048576.0));
      }
    }
    if (plan.predicted().peakMemoryBytes() > limit) {
      throw new BadInputException(
          String.format(
              Locale.ROOT,
              "the plan's predicted peak memory %.1f MiB is over its limit of %.1f MiB; the plan is not run.",
              plan.predicted().peakMemoryBytes() / 1048576.0,
              limit / 1048576.0));
    }
    checkFitsThisMachine(plan, machineMemoryBytes());
  }

  /**
   * Refuses a plan whose devices together need more memory than this machine gives the executor:
   * every pipeline device runs here, in fp32, so a plan made for GPUs (gpt2-xl on four H100s) would
   * otherwise end, after minutes, in an out-of-memory error. The need is the sum of the devices'
   * predicted peaks, doubled for a plan priced in a 16-bit type (the executor computes in fp32).
   */
  static void checkFitsThisMachine(Plan plan, long availableBytes) {
    long needed = 0;
    for (DeviceMetrics d : plan.predicted().devices()) {
      needed = Math.addExact(needed, d.peakMemoryBytes());
    }
    int typeBytes = plan.training().dtype().bytes();
    if (typeBytes < 4) {
      needed = Math.multiplyExact(needed, 4L / typeBytes);
    }
    if (needed > availableBytes) {
      throw new BadInputException(
          String.format(
              Locale.ROOT,
              "the plan's %d pipeline devices need about %.1f GiB together in fp32 (their predicted peaks),"
                  + " over the %.1f GiB this machine gives the CPU executor; the plan is not run."
                  + " Maybe plan for this machine: --cluster cpu:1x%d with a smaller model (for example"
                  + " gpt-small-cpu) or --profile.",
              plan.predicted().devices().size(),
              needed / GIB,
              availableBytes / GIB,
              plan.parallelism().pp()));
    }
    // the stored prediction may be stale (a hand-edited micro-batch size): the model itself sets a
    // floor, every layer's activations of one micro-batch beside the weights and gradients, in fp32
    ModelSpec model = plan.model();
    int b = plan.microBatchSize();
    double floor = 0;
    for (var layer : model.layers()) {
      floor += Fp32LayerMemory.of(model.dtype(), layer).bytes(b, 1);
      long elements = layer.outputBytes() / Math.max(1, model.dtype().bytes());
      if ((double) elements * b > Integer.MAX_VALUE) {
        throw new BadInputException(
            String.format(
                Locale.ROOT,
                "the plan's micro-batch size %d makes layer %s's output %.3g elements, over the %d"
                    + " one CPU tensor can index; the plan is not run. Maybe plan with a smaller"
                    + " --microbatch-size.",
                b,
                layer.name(),
                (double) elements * b,
                Integer.MAX_VALUE));
      }
    }
    if (floor > availableBytes) {
      throw new BadInputException(
          String.format(
              Locale.ROOT,
              "the plan's micro-batch size %d needs at least %.1f GiB for model %s (one micro-batch"
                  + " of every layer's activations, and the weights and gradients, in fp32), over the %.1f"
                  + " GiB this machine gives the CPU executor; the plan is not run. Maybe plan with a"
                  + " smaller --microbatch-size.",
              b,
              floor / GIB,
              model.name(),
              availableBytes / GIB));
    }
  }

  /**
   * What the executor may allocate: nd4j's off-heap arrays count against JavaCPP's physical-memory
   * limit (by default twice the JVM's heap limit), and never more than the machine's RAM.
   */
  public static long machineMemoryBytes() {
    // JavaCPP's default, computed here: touching Pointer would load its native library (seconds on
    // a fresh machine) just to refuse a plan
    long limit =
        System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") != null
            ? org.bytedeco.javacpp.Pointer.maxPhysicalBytes()
            : 2 * Runtime.getRuntime().maxMemory();
    java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      long ram = ((com.sun.management.OperatingSystemMXBean) os).getTotalMemorySize();
      limit = limit <= 0 ? ram : Math.min(limit, ram);
    }
    return limit <= 0 ? Long.MAX_VALUE : limit;
  }

  private static final double GIB = 1024.0 * 1024 * 1024;

  /**
   * The runtime configuration of a plan: its model, partition and regenerated schedule, float
   * tensors.
   */
  public static PipelineConfig config(Plan plan, Options options) {
    check(plan);
    OptimizerSettings optimizer =
        OptimizerSettings.forOptimizerName(
            plan.training().optimizer().name(), options.learningRate());
    return new PipelineConfig(
        plan.model(),
        plan.partition(),
        PlanPrediction.schedule(plan),
        plan.microBatchSize(),
        options.seed(),
        optimizer,
        PipelineConfig.DEFAULT_WAIT);
  }

  /**
   * Runs warm-up and measured iterations of the plan; {@code progress} hears one line per
   * iteration.
   */
  public static MeasuredRun run(
      Plan plan, Options options, NanoClock clock, Consumer<String> progress) {
    check(plan);
    Objects.requireNonNull(options, "options");
    return ThreadedRunner.run(
        plan,
        config(plan, options),
        options.iterations(),
        options.warmup(),
        options.threadsPerWorker(),
        options.seed(),
        clock,
        progress,
        CPU);
  }

  /** The CPU backend as the shared runner sees it. */
  private static final ThreadedRunner.Backend CPU =
      new ThreadedRunner.Backend() {
        @Override
        public String name() {
          return CpuBackend.NAME;
        }

        @Override
        public String describeMachine() {
          return CpuBackend.describeMachine();
        }

        @Override
        public String configureThreads(int threadsPerWorker) {
          return CpuBackend.configure(threadsPerWorker);
        }

        @Override
        public Ops newOps() {
          return new Nd4jOps();
        }

        @Override
        public int cores() {
          return CpuBackend.cores();
        }

        @Override
        public String loadAverage() {
          return CpuBackend.loadAverage();
        }
      };
}
