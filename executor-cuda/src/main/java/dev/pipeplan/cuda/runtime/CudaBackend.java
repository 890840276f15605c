package dev.pipeplan.cuda.runtime;

import dev.pipeplan.cuda.ops.CudaDevice;
import dev.pipeplan.cuda.ops.CudaEvents;
import dev.pipeplan.cuda.ops.CudaOps;
import dev.pipeplan.executor.core.equivalence.GradientEquivalence;
import dev.pipeplan.executor.core.layers.Layer;
import dev.pipeplan.executor.core.layers.Layers;
import dev.pipeplan.executor.core.layers.ModelStyle;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.profile.DistinctLayers;
import dev.pipeplan.executor.core.profile.LayerFits;
import dev.pipeplan.executor.core.profile.LayerMarks;
import dev.pipeplan.executor.core.profile.StreamRounds;
import dev.pipeplan.executor.core.run.PlanChecks;
import dev.pipeplan.executor.core.train.OptimizerSettings;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.data.SyntheticTokens;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.simulator.compare.ComparisonText;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunNoise;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.bytedeco.cuda.cudart.CUevent_st;

/**
 * The cuda backend's entry points: run a plan, check its gradients against a sequential run,
 * profile a model. All pipeline devices are CUDA streams on GPU 0 (see docs/gpu.md, "One GPU shared
 * by p stages"), enqueued from the calling thread, which must be the one that opened the device.
 */
public final class CudaBackend {
  /** The backend's name in run files and profiles. */
  public static final String NAME = "cuda";

  /**
   * The relative gradient tolerance of a pipelined run against a sequential one, as on the CPU
   * (fp32).
   */
  public static final double GRADIENT_TOLERANCE = GradientEquivalence.FP32_TOLERANCE;

  private CudaBackend() {}

  /**
   * How to run.
   *
   * @param iterations measured iterations
   * @param warmup unrecorded iterations first
   * @param seed weights and data seed
   * @param learningRate optimizer step size
   */
  public record RunOptions(int iterations, int warmup, long seed, double learningRate) {
    public RunOptions {
      if (iterations < 1) {
        throw new BadInputException("iterations must be >= 1, got " + iterations);
      }
      if (warmup < 0) {
        throw new BadInputException("warmup must be >= 0, got " + warmup);
      }
      if (!(learningRate > 0)) {
        throw new BadInputException("learning rate must be > 0, got " + learningRate);
      }
    }
  }

  /**
   * A run and its memory: the predicted peak summed over the pipeline devices (they share the GPU)
   * and the measured peak (parameters, gradients and optimizer state plus the pool's high watermark
   * over the measured iterations).
   */
  public record Result(
      MeasuredRun run, long predictedPeakBytes, long measuredPeakBytes, long memInfoUsedBytes) {}

  /** Refuses plans the cuda backend cannot run as planned. */
  public static void check(Plan plan) {
    // first: FP8 linears run on no executor, whatever the plan's parallelism
    PlanChecks.requireNoFp8Linears(plan, "the cuda backend");
    PlanChecks.requireOnePipelineReplica(
        plan,
        "the cuda backend",
        "Maybe plan with --tp 1 on a cluster of pp GPUs, for example --cluster h100:1x2 --pp 2.");
    PlanChecks.requireSynchronousStep(plan, "the cuda backend");
    PlanChecks.requireWholeLayers(plan, "the cuda backend");
    CudaModels.checkRunnable(plan.model());
  }

  /** Runs warm-up and measured iterations of a plan on GPU 0. */
  public static Result run(
      CudaDevice device, Plan plan, RunOptions options, Consumer<String> progress) {
    check(plan);
    Schedule schedule = PlanPrediction.schedule(plan);
    Timeline predicted = PlanPrediction.predict(plan).timeline();
    List<Ops> streams = new ArrayList<>();
    List<CudaOps> cudaStreams = new ArrayList<>();
    for (int d = 0; d < schedule.deviceCount(); d++) {
      CudaOps s = device.newStream();
      streams.add(s);
      cudaStreams.add(s);
    }
    List<Timeline> measured = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    long peak = 0;
    long memUsed = 0;
    try (Streams released = new Streams(device, cudaStreams);
        StreamPipeline pipeline =
            new StreamPipeline(
                plan.model(),
                plan.partition(),
                schedule,
                plan.microBatchSize(),
                options.seed(),
                OptimizerSettings.forOptimizerName(
                    plan.training().optimizer().name(), options.learningRate()),
                streams,
                n -> new EventTimer(cudaStreams, n))) {
      int total = options.warmup() + options.iterations();
      for (int i = 0; i < total; i++) {
        device.synchronize();
        device.resetPoolPeak();
        StreamPipeline.Iteration it = pipeline.runIteration(i, true);
        boolean warm = i < options.warmup();
        if (!warm) {
          measured.add(it.timeline());
          losses.add(it.loss());
          peak = Math.max(peak, device.poolPeakBytes());
          long[] info = device.memoryInfo();
          memUsed = Math.max(memUsed, info[1] - info[0]);
        }
        progress.accept(
            ComparisonText.progressLine(
                i,
                options.warmup(),
                options.iterations(),
                it.timeline().makespanNanos(),
                it.loss()));
      }
    }
    long predictedPeak = 0;
    for (DeviceMetrics d : plan.predicted().devices()) {
      predictedPeak += d.peakMemoryBytes();
    }
    MeasuredRun run =
        new MeasuredRun(
            plan.model().name(),
            plan.scheduleKind().id(),
            schedule.deviceCount(),
            schedule.virtualStages(),
            schedule.microBatchCount(),
            plan.microBatchSize(),
            plan.partition().toString(),
            predicted,
            measured,
            MeasuredRun.medianIteration(measured),
            losses,
            options.warmup(),
            NAME,
            device.description()
                + "; "
                + schedule.deviceCount()
                + " pipeline devices = "
                + schedule.deviceCount()
                + " CUDA streams sharing this one GPU",
            threadSettings(schedule.deviceCount()),
            options.seed(),
            List.of(),
            RunNoise.unknown(),
            Provenance.unrecorded(),
            0);
    run =
        run.withProvenance(plan.provenance()).withSequenceLength(plan.training().sequenceLength());
    return new Result(run, predictedPeak, peak, memUsed);
  }

  /** How the work was issued, for run files. */
  public static String threadSettings(int streams) {
    return "one host thread enqueues; "
        + streams
        + " CUDA stream(s), one per pipeline device; cuBLAS fp32"
        + " (CUBLAS_DEFAULT_MATH, no TF32); kernels from compute_90 PTX";
  }

  /**
   * Iteration 0 of the plan pipelined and sequentially (one stream, F then B per micro-batch) on
   * the same GPU, without optimizer steps: the largest, over parameters, of max |difference| / max
   * |reference gradient|.
   */
  public static double gradientDifference(CudaDevice device, Plan plan, long seed) {
    check(plan);
    return GradientEquivalence.maxRelativeDifference(
        (partition, schedule) ->
            gradients(device, plan.model(), partition, schedule, plan.microBatchSize(), seed),
        plan.partition(),
        PlanPrediction.schedule(plan));
  }

  private static Map<String, float[]> gradients(
      CudaDevice device,
      ModelSpec model,
      dev.pipeplan.simulator.schedule.Partition partition,
      Schedule schedule,
      int b,
      long seed) {
    List<Ops> streams = new ArrayList<>();
    List<CudaOps> cudaStreams = new ArrayList<>();
    for (int d = 0; d < schedule.deviceCount(); d++) {
      CudaOps s = device.newStream();
      streams.add(s);
      cudaStreams.add(s);
    }
    try (Streams released = new Streams(device, cudaStreams);
        StreamPipeline pipeline =
            new StreamPipeline(
                model,
                partition,
                schedule,
                b,
                seed,
                OptimizerSettings.sgd(1e-3),
                streams,
                n -> new EventTimer(cudaStreams, n))) {
      pipeline.runIteration(0, false);
      Map<String, float[]> out = pipeline.gradients();
      device.synchronize();
      return out;
    }
  }

  /**
   * Measures each distinct layer's F, I and W with events at each micro-batch size ({@code warmup}
   * unrecorded runs, median of {@code repeats}), fits {@code fixed + perSample * b}, and measures
   * the cross-stream hand-off (an event recorded on one stream and waited for on another). With
   * {@code concurrentStreams} = p, each layer is timed while p - 1 other streams run the same work
   * ({@link StreamRounds}, executor-core): the times a stage gets when p stages share this GPU.
   * With 1 the layer is timed alone on the GPU.
   */
  public static Profile profile(
      CudaDevice device,
      ModelSpec model,
      List<Integer> sizes,
      int warmup,
      int repeats,
      long seed,
      int concurrentStreams,
      Consumer<String> progress) {
    CudaModels.checkRunnable(model);
    StreamRounds.checkStreams("concurrent streams", concurrentStreams);
    List<Ops> ops = new ArrayList<>();
    List<CudaOps> made = new ArrayList<>();
    for (int s = 0; s < concurrentStreams; s++) {
      CudaOps stream = device.newStream();
      ops.add(stream);
      made.add(stream);
    }
    int seq = SyntheticTokens.sequenceLength(model);
    int vocab = Math.max(1, SyntheticTokens.vocabulary(model));
    SplittableRandom[] streams = Layers.streams(model, seed);
    DistinctLayers distinct = DistinctLayers.of(model);
    ModelStyle style = ModelStyle.of(model);
    List<Profile.LayerProfile> measured = new ArrayList<>(distinct.count());
    try (Streams released = new Streams(device, made);
        EventMarks marks = new EventMarks()) {
      for (int l : distinct.firstLayers()) {
        LayerSpec spec = model.layers().get(l);
        List<Layer<?>> copies = new ArrayList<>();
        for (int s = 0; s < concurrentStreams; s++) {
          copies.add(
              Layers.build(ops.get(s), spec, style, s == 0 ? streams[l] : streams[l].split()));
        }
        List<MeasuredTimes> samples = new ArrayList<>();
        for (int b : sizes) {
          samples.add(
              StreamRounds.measure(ops, copies, spec, b, seq, vocab, warmup, repeats, seed, marks));
        }
        for (int s = 0; s < concurrentStreams; s++) {
          copies.get(s).release(ops.get(s));
        }
        Profile.LayerProfile p = LayerFits.layerProfile(spec.name(), samples);
        measured.add(p);
        progress.accept(LayerFits.progressLine(p));
      }
      List<Profile.LayerProfile> layers = distinct.expand(model, measured);
      device.synchronize();
      long handoff = handoffNanos(device, marks.events);
      return new Profile(
              model.name(),
              NAME,
              device.description() + "; " + sharing(concurrentStreams),
              layers,
              handoff,
              1e12,
              Profile.Repeatability.unknown(),
              List.of(),
              0)
          .withSequenceLength(model.sequenceLength());
    }
  }

  /** How a profile's times were taken, for its machine line and for report headers. */
  public static String sharing(int concurrentStreams) {
    return concurrentStreams == 1
        ? "measured on one stream, alone on the GPU"
        : "measured with "
            + concurrentStreams
            + " concurrent streams (each layer timed while "
            + (concurrentStreams - 1)
            + " other stream(s) run the same work): the share of one GPU that each of "
            + concurrentStreams
            + " stages gets";
  }

  /**
   * Releases streams made for one run, profile or gradient check (each holds a cuBLAS handle and
   * its workspace, which would otherwise stay until the device closes and count in the next run's
   * cudaMemGetInfo).
   */
  private static final class Streams implements AutoCloseable {
    private final CudaDevice device;
    private final List<CudaOps> streams;

    Streams(CudaDevice device, List<CudaOps> streams) {
      this.device = device;
      this.streams = List.copyOf(streams);
    }

    @Override
    public void close() {
      for (CudaOps s : streams) {
        device.releaseStream(s);
      }
    }
  }

  /** {@link LayerMarks} as CUDA events on the streams. */
  private static final class EventMarks implements LayerMarks, AutoCloseable {
    private final CUevent_st[] events = {
      CudaEvents.create(), CudaEvents.create(), CudaEvents.create(), CudaEvents.create()
    };

    @Override
    public void mark(Ops stream, int point) {
      ((CudaOps) stream).record(events[point]);
    }

    @Override
    public void synchronize(List<Ops> streams) {
      for (Ops s : streams) {
        ((CudaOps) s).synchronize();
      }
    }

    @Override
    public long elapsedNanos(int from, int to) {
      return CudaEvents.elapsedNanos(events[from], events[to]);
    }

    @Override
    public void close() {
      for (CUevent_st e : events) {
        CudaEvents.destroy(e);
      }
    }
  }

  private static long handoffNanos(CudaDevice device, CUevent_st[] ev) {
    CudaOps a = device.newStream();
    CudaOps b = device.newStream();
    try (Streams released = new Streams(device, List.of(a, b))) {
      long[] t = new long[20];
      for (int r = 0; r < t.length; r++) {
        a.record(ev[0]);
        b.waitFor(ev[0]);
        b.record(ev[1]);
        b.synchronize();
        t[r] = Math.max(0, CudaEvents.elapsedNanos(ev[0], ev[1]));
      }
      return LayerFits.median(t);
    }
  }
}
