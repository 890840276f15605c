package dev.pipeplan.executor.core.runtime;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.models.Checks;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.simulator.compare.ComparisonText;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunNoise;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The plan runner of a backend whose ops return when their work is done: warm-up iterations, then
 * measured ones on {@link PipelineRuntime}, each bracketed by the machine speed probe (an iteration
 * run in a slow episode of the machine is replaced, {@link MachineSpeed}), and the machine's noise
 * over them; the result is a {@link MeasuredRun} beside the plan's prediction. The backend supplies
 * its ops, its thread settings and how it describes the machine.
 */
public final class ThreadedRunner {
  /** Threads of the machine speed probe: one per core, as the workers use them. */
  static final int MAX_PROBE_THREADS = 8;

  /**
   * Measured iterations attempted per one asked for, at most: an iteration run in a slow episode of
   * the machine is replaced by another, up to this many in all.
   */
  public static final int MAX_ATTEMPTS_PER_ITERATION = 3;

  private ThreadedRunner() {}

  /** What a backend tells the runner. */
  public interface Backend {
    /** The backend's name in run files ("cpu-nd4j"). */
    String name();

    /** Processor, cores, OS, JVM and tensor library, on one line. */
    String describeMachine();

    /** Applies the native threads per worker and says what was set. */
    String configureThreads(int threadsPerWorker);

    /** Fresh ops for the workers (and another for the speed probe). */
    Ops newOps();

    /** The machine's logical cores. */
    int cores();

    /** The 1, 5 and 15 minute load averages ("" when unknown). */
    String loadAverage();
  }

  /**
   * Runs {@code warmup} unrecorded and {@code iterations} measured iterations of {@code config},
   * the runtime configuration of {@code plan}; {@code progress} hears one line per iteration.
   *
   * @param threadsPerWorker native threads per op in each worker (with one, a worker's thread CPU
   *     time covers its work and the busy check is made)
   */
  public static MeasuredRun run(
      Plan plan,
      PipelineConfig config,
      int iterations,
      int warmup,
      int threadsPerWorker,
      long seed,
      NanoClock clock,
      Consumer<String> progress,
      Backend backend) {
    Checks.positive("iterations", iterations);
    Checks.nonNegative("warmup", warmup);
    Objects.requireNonNull(backend, "backend");
    String threads = backend.configureThreads(threadsPerWorker);
    Schedule schedule = config.schedule();
    Timeline predicted = PlanPrediction.predict(plan).timeline();
    String loadBefore = backend.loadAverage();
    MachineLoad measuredFrom;
    MachineLoad measuredTo;
    List<IterationResult> attempts = new ArrayList<>();
    MachineSpeed speed = new MachineSpeed();
    ActionPace pace = new ActionPace();
    try (PipelineRuntime runtime = new PipelineRuntime(config, clock, backend.newOps());
        SpeedProbe probe =
            new SpeedProbe(Math.min(backend.cores(), MAX_PROBE_THREADS), backend.newOps())) {
      for (int i = 0; i < warmup; i++) {
        IterationResult r = runtime.runIteration(i);
        progress.accept(
            ComparisonText.progressLine(
                i, warmup, iterations, r.timeline().makespanNanos(), r.loss()));
      }
      measuredFrom = MachineLoad.now();
      speed.add(probe.sampleNanos());
      int cap = MAX_ATTEMPTS_PER_ITERATION * iterations;
      for (int i = warmup;
          normal(speed.slowdowns(), pace.slowdowns()).size() < iterations && attempts.size() < cap;
          i++) {
        IterationResult r = runtime.runIteration(i);
        speed.add(probe.sampleNanos());
        pace.add(r.timeline());
        attempts.add(r);
        progress.accept(
            ComparisonText.progressLine(
                i, warmup, iterations, r.timeline().makespanNanos(), r.loss()));
      }
      measuredTo = MachineLoad.now();
    }
    List<Double> paceSlowdowns = pace.slowdowns();
    List<Integer> kept = kept(speed.slowdowns(), paceSlowdowns, iterations);
    List<Timeline> measured = new ArrayList<>(kept.size());
    List<Double> losses = new ArrayList<>(kept.size());
    List<List<Long>> cpuTimes = new ArrayList<>(kept.size());
    long[][] workerSums = new long[schedule.deviceCount()][2];
    for (int a : kept) {
      IterationResult r = attempts.get(a);
      measured.add(r.timeline());
      cpuTimes.add(r.actionCpuNanos());
      losses.add(r.loss());
      for (RunNoise.WorkerTime w : r.workerTimes()) {
        workerSums[w.device()][0] += w.busyWallNanos();
        workerSums[w.device()][1] += w.busyCpuNanos();
      }
    }
    List<RunNoise.WorkerTime> workers = new ArrayList<>();
    for (int d = 0; d < workerSums.length; d++) {
      workers.add(new RunNoise.WorkerTime(d, workerSums[d][0], workerSums[d][1]));
    }
    int cores = backend.cores();
    RunNoise noise =
        new RunNoise(
            workers,
            cores,
            loadBefore,
            backend.loadAverage(),
            measuredTo.otherProcessCoresSince(measuredFrom, cores),
            measuredTo.stealFractionSince(measuredFrom),
            threadsPerWorker == 1,
            speed.slowdowns(),
            attempts.size() - kept.size(),
            speed.usual(),
            paceSlowdowns);
    return new MeasuredRun(
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
        warmup,
        backend.name(),
        backend.describeMachine(),
        threads,
        seed,
        cpuTimes,
        noise,
        plan.provenance(),
        plan.training().sequenceLength());
  }

  /**
   * The attempts that ran at the machine's usual speed (neither the probe around them nor their own
   * actions slow: {@link RunNoise#slowAttempt}), in order.
   */
  static List<Integer> normal(List<Double> probe, List<Double> pace) {
    List<Integer> result = new ArrayList<>();
    for (int a = 0; a < probe.size(); a++) {
      if (!RunNoise.slowAttempt(probe.get(a), a < pace.size() ? pace.get(a) : 0)) {
        result.add(a);
      }
    }
    return result;
  }

  /**
   * The attempted iterations a run keeps: those at the machine's usual speed when there are enough,
   * all of them (at least {@code wanted}, sometimes more: an attempt can move the actions' medians
   * so that earlier ones count as usual again, and a measured iteration is the median of at least
   * the number asked); otherwise the {@code wanted} least slowed down ({@link RunNoise#severity};
   * the run then says it ran slow), in order.
   *
   * @param probe each attempt's slowdown by the speed probe around it
   * @param pace each attempt's slowdown by its own actions ({@link ActionPace})
   */
  public static List<Integer> kept(List<Double> probe, List<Double> pace, int wanted) {
    List<Integer> normal = normal(probe, pace);
    if (normal.size() >= wanted) {
      return normal;
    }
    double[] severity = new double[probe.size()];
    List<Integer> order = new ArrayList<>();
    for (int a = 0; a < probe.size(); a++) {
      severity[a] = RunNoise.severity(probe.get(a), a < pace.size() ? pace.get(a) : 0);
      order.add(a);
    }
    order.sort(
        Comparator.<Integer>comparingDouble(a -> severity[a])
            .thenComparing(Comparator.naturalOrder()));
    List<Integer> kept = new ArrayList<>(order.subList(0, Math.min(wanted, order.size())));
    kept.sort(null);
    return kept;
  }
}
