package dev.pipeplan.executor.core.runtime;

import dev.pipeplan.executor.core.layers.DeviceBatch;
import dev.pipeplan.executor.core.layers.Layer;
import dev.pipeplan.executor.core.layers.Layers;
import dev.pipeplan.executor.core.layers.Param;
import dev.pipeplan.executor.core.layers.StageModule;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import dev.pipeplan.executor.core.train.ParameterUpdater;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.data.SyntheticTokens;
import dev.pipeplan.simulator.compare.RunNoise;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletionService;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a schedule for real, the shared layers on an {@link Ops} whose calls return when their work
 * is done (the CPU's nd4j ops, the pure-Java reference). One worker thread per pipeline device runs
 * that device's actions in the schedule's order: F takes its input from the device's mailbox (the
 * first stage reads the data), computes, and sends its output to the next stage's device; I and B
 * take the gradient and send the input gradient back; W adds weight gradients. Each action is
 * timestamped around its computation (waits for inputs are not part of an action). After its last
 * action each worker steps the optimizer over the parameters of its stages.
 *
 * <p>If any worker fails, the others are interrupted at once; the iteration throws an {@link
 * ExecutionFailedException} naming the device, stage and action, and no worker thread is left
 * running.
 */
public final class PipelineRuntime implements AutoCloseable {
  private static final long JOIN_NANOS = TimeUnit.SECONDS.toNanos(5);
  private static final AtomicInteger POOL_IDS = new AtomicInteger();

  private final PipelineConfig config;
  private final Schedule schedule;
  private final NanoClock clock;
  private final Ops ops;
  private final List<StageModule> stages;
  private final List<Mailbox> mailboxes;
  private final List<ParameterUpdater> updaters;
  private final SyntheticData data;
  private final ExecutorService pool;
  private boolean broken;

  /**
   * @param ops the tensor operations every worker runs on; they must be safe to call from the
   *     workers' threads at once, and must complete their work before returning (a GPU's
   *     asynchronous streams need their own driver, executor-cuda's)
   */
  public PipelineRuntime(PipelineConfig config, NanoClock clock, Ops ops) {
    this.ops = Objects.requireNonNull(ops, "ops");
    this.config = Objects.requireNonNull(config, "config");
    this.schedule = config.schedule();
    this.clock = Objects.requireNonNull(clock, "clock");
    List<Layer<?>> layers = buildLayers(ops, config.model(), config.seed());
    int stageCount = schedule.stageCount();
    List<StageModule> built = new ArrayList<>(stageCount);
    for (int s = 0; s < stageCount; s++) {
      List<Layer<?>> slice =
          layers.subList(config.partition().firstLayer(s), config.partition().endLayer(s));
      built.add(new StageModule(s, ops, slice, s == 0, s == stageCount - 1));
    }
    this.stages = List.copyOf(built);
    int p = schedule.deviceCount();
    int capacity = 2 * schedule.microBatchCount() * Math.max(1, schedule.virtualStages()) + 1;
    List<Mailbox> boxes = new ArrayList<>(p);
    List<ParameterUpdater> ups = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      boxes.add(new Mailbox(capacity));
      List<Param> params = new ArrayList<>();
      for (StageModule stage : stages) {
        if (schedule.deviceOf(stage.stage()) == d) {
          params.addAll(stage.parameters());
        }
      }
      ups.add(new ParameterUpdater(config.optimizer(), ops, params));
    }
    this.mailboxes = List.copyOf(boxes);
    this.updaters = List.copyOf(ups);
    this.data =
        new SyntheticData(
            config.seed(),
            SyntheticTokens.vocabulary(config.model()),
            SyntheticTokens.sequenceLength(config.model()),
            config.globalBatch());
    this.pool = WORKERS;
  }

  public PipelineConfig config() {
    return config;
  }

  public List<StageModule> stages() {
    return stages;
  }

  /** Runs one iteration and steps the optimizer. */
  public IterationResult runIteration(int iteration) {
    return runIteration(iteration, true);
  }

  /**
   * Runs one iteration: zeroes the gradients, runs every device's actions, and steps the optimizer
   * when asked (leave it out to read the iteration's gradients with {@link #gradients()}).
   */
  public IterationResult runIteration(int iteration, boolean step) {
    if (broken) {
      throw new IllegalStateException(
          "this runtime failed in an earlier iteration; build a new one");
    }
    int m = schedule.microBatchCount();
    int b = config.microBatchSize();
    List<DeviceBatch> batches = new ArrayList<>(m);
    for (int j = 0; j < m; j++) {
      batches.add(data.microBatch(ops, iteration, j * b, b));
    }
    IterationResult result = runIteration(iteration, step, batches);
    // after a failure a worker may still be running past the join timeout: the collector frees
    // that iteration's batches, never this thread while native code may read them
    for (DeviceBatch batch : batches) {
      batch.release(ops);
    }
    return result;
  }

  private IterationResult runIteration(int iteration, boolean step, List<DeviceBatch> batches) {
    int p = schedule.deviceCount();
    int m = schedule.microBatchCount();
    for (StageModule stage : stages) {
      stage.zeroGradients();
    }
    CountDownLatch startGate = new CountDownLatch(1);
    CountDownLatch finished = new CountDownLatch(p);
    long[] origin = new long[1];
    CompletionService<WorkerResult> done = new ExecutorCompletionService<>(pool);
    List<Future<WorkerResult>> futures = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      Worker worker = new Worker(d, batches, step, startGate, finished, origin);
      futures.add(done.submit(worker));
    }
    origin[0] = clock.nanoTime();
    startGate.countDown();

    WorkerResult[] results = new WorkerResult[p];
    try {
      for (int i = 0; i < p; i++) {
        WorkerResult r = done.take().get();
        results[r.device()] = r;
      }
    } catch (ExecutionException e) {
      fail(futures, finished, m);
      Throwable cause = e.getCause();
      if (cause instanceof ExecutionFailedException) {
        throw (ExecutionFailedException) cause;
      }
      throw new ExecutionFailedException("a pipeline worker failed: " + cause, cause);
    } catch (InterruptedException e) {
      fail(futures, finished, m);
      Thread.currentThread().interrupt();
      throw new ExecutionFailedException("the pipeline run was interrupted", e);
    }

    List<TimedAction> actions = new ArrayList<>(schedule.actionCount());
    List<Long> stepNanos = new ArrayList<>(p);
    List<RunNoise.WorkerTime> workerTimes = new ArrayList<>(p);
    Map<TimedAction, Long> cpuOf = new java.util.HashMap<>();
    for (WorkerResult r : results) {
      actions.addAll(r.actions());
      for (int i = 0; i < r.actions().size(); i++) {
        cpuOf.put(r.actions().get(i), r.actionCpuNanos().get(i));
      }
      stepNanos.add(r.optimizerStepNanos());
      workerTimes.add(new RunNoise.WorkerTime(r.device(), r.busyWallNanos(), r.busyCpuNanos()));
    }
    actions.sort(
        Comparator.comparingInt(TimedAction::device)
            .thenComparingLong(TimedAction::startNanos)
            .thenComparing(TimedAction::action));
    List<Long> actionCpuNanos = new ArrayList<>(actions.size());
    for (TimedAction a : actions) {
      actionCpuNanos.add(cpuOf.get(a));
    }
    double loss = stages.get(stages.size() - 1).drainLoss();
    Timeline timeline =
        new Timeline(Timeline.MEASURED, schedule.name(), p, actions, List.of(), List.of());
    return new IterationResult(iteration, timeline, actionCpuNanos, loss, stepNanos, workerTimes);
  }

  /** Every parameter's current gradient, by name, as copies. */
  public Map<String, float[]> gradients() {
    Map<String, float[]> out = new TreeMap<>();
    for (StageModule stage : stages) {
      for (Param p : stage.parameters()) {
        out.put(p.name(), ops.download(p.gradient()));
      }
    }
    return out;
  }

  /** Every parameter's current value, by name, as copies. */
  public Map<String, float[]> weights() {
    Map<String, float[]> out = new TreeMap<>();
    for (StageModule stage : stages) {
      for (Param p : stage.parameters()) {
        out.put(p.name(), ops.download(p.value()));
      }
    }
    return out;
  }

  /**
   * Every layer of the model on {@code ops}, each with its own random stream split from the seed in
   * model order, so that its weights do not depend on the partition.
   */
  static List<Layer<?>> buildLayers(Ops ops, ModelSpec model, long seed) {
    SplittableRandom[] streams = Layers.streams(model, seed);
    List<Layer<?>> layers = new ArrayList<>(model.layerCount());
    for (int l = 0; l < model.layerCount(); l++) {
      layers.add(Layers.build(ops, model, l, streams[l]));
    }
    return layers;
  }

  /**
   * Ends this runtime. Its worker threads go back to the shared pool: native libraries keep
   * per-thread state (OpenBLAS's buffers, nd4j's per-thread caches) that a new thread per run would
   * build again, and leave behind, run after run.
   */
  @Override
  public void close() {
    // The weights, gradients and optimizer state go now, not whenever the collector gets to them:
    // native memory left to the collector grows run after run and slows the runs that follow.
    for (StageModule stage : stages) {
      stage.release();
    }
  }

  private void fail(List<Future<WorkerResult>> futures, CountDownLatch finished, int m) {
    broken = true;
    for (Future<WorkerResult> f : futures) {
      f.cancel(true);
    }
    try {
      finished.await(JOIN_NANOS, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Mailbox box : mailboxes) {
      box.clear();
    }
    for (StageModule stage : stages) {
      stage.discardAll(m);
    }
  }

  /**
   * The worker threads of every runtime in this JVM: created as needed, kept while idle, so that a
   * run reuses the threads (and their native per-thread state) of the runs before it.
   */
  private static final ExecutorService WORKERS =
      new ThreadPoolExecutor(
          0, Integer.MAX_VALUE, 1, TimeUnit.HOURS, new SynchronousQueue<>(), workerThreads());

  private static ThreadFactory workerThreads() {
    int pool = POOL_IDS.incrementAndGet();
    AtomicInteger ids = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "pipeplan-worker-" + pool + "-" + ids.getAndIncrement());
      t.setDaemon(true);
      return t;
    };
  }

  /** What a worker hands back. */
  private record WorkerResult(
      int device,
      List<TimedAction> actions,
      List<Long> actionCpuNanos,
      long optimizerStepNanos,
      long busyWallNanos,
      long busyCpuNanos) {}

  /** One device's loop over its action list. */
  private final class Worker implements java.util.concurrent.Callable<WorkerResult> {
    private final int device;
    private final List<DeviceBatch> batches;
    private final boolean step;
    private final CountDownLatch startGate;
    private final CountDownLatch finished;
    private final long[] origin;
    private final NanoClock cpu = NanoClock.threadCpu();
    private long busyWallNanos;
    private long busyCpuNanos;
    private long lastCpuNanos;

    Worker(
        int device,
        List<DeviceBatch> batches,
        boolean step,
        CountDownLatch startGate,
        CountDownLatch finished,
        long[] origin) {
      this.device = device;
      this.batches = batches;
      this.step = step;
      this.startGate = startGate;
      this.finished = finished;
      this.origin = origin;
    }

    @Override
    public WorkerResult call() {
      try {
        startGate.await();
        long t0 = origin[0];
        List<Action> actions = schedule.deviceActions().get(device);
        List<TimedAction> timed = new ArrayList<>(actions.size());
        List<Long> timedCpu = new ArrayList<>(actions.size());
        for (Action action : actions) {
          if (Thread.interrupted()) {
            throw new ExecutionFailedException(
                "device "
                    + device
                    + " was stopped before action "
                    + action
                    + " because another worker failed",
                new InterruptedException());
          }
          try {
            timed.add(run(action, t0));
            timedCpu.add(lastCpuNanos);
          } catch (InterruptedException e) {
            throw new ExecutionFailedException(
                "device "
                    + device
                    + " was stopped during action "
                    + action
                    + " because another worker failed",
                e);
          } catch (RuntimeException | TimeoutException e) {
            throw new ExecutionFailedException(
                "device "
                    + device
                    + " failed at action "
                    + action
                    + " (stage "
                    + action.stage()
                    + ", micro-batch "
                    + action.microBatch()
                    + ", "
                    + action.type()
                    + "): "
                    + e.getMessage(),
                e);
          }
        }
        long stepNanos = 0;
        if (step) {
          long s0 = clock.nanoTime();
          updaters.get(device).step();
          stepNanos = clock.nanoTime() - s0;
        }
        return new WorkerResult(device, timed, timedCpu, stepNanos, busyWallNanos, busyCpuNanos);
      } catch (InterruptedException e) {
        throw new ExecutionFailedException(
            "device " + device + " was stopped before it started", e);
      } finally {
        finished.countDown();
      }
    }

    private TimedAction run(Action action, long t0) throws InterruptedException, TimeoutException {
      int s = action.stage();
      if (s >= stages.size() || schedule.deviceOf(s) != device) {
        throw new IllegalStateException("stage " + s + " is not placed on device " + device);
      }
      StageModule stage = stages.get(s);
      int mb = action.microBatch();
      if (mb >= batches.size()) {
        throw new IllegalStateException(
            "micro-batch " + mb + " is outside 0.." + (batches.size() - 1));
      }
      long wait = config.waitTimeout().toNanos();
      Mailbox inbox = mailboxes.get(device);
      long start;
      long end =
          switch (action.type()) {
            case F -> {
              Tensor input =
                  stage.isFirst() ? null : inbox.take(Mailbox.Direction.FORWARD, s, mb, wait);
              long cpu0 = cpu.nanoTime();
              start = clock.nanoTime();
              Tensor out = stage.forward(mb, input, batches.get(mb));
              long finish = clock.nanoTime();
              lastCpuNanos = cpu.nanoTime() - cpu0;
              busyCpuNanos += lastCpuNanos;
              if (!stage.isLast()) {
                mailboxes
                    .get(schedule.deviceOf(s + 1))
                    .put(Mailbox.Direction.FORWARD, s + 1, mb, out, wait);
              }
              yield finish;
            }
            case I, B -> {
              Tensor grad =
                  stage.isLast() ? null : inbox.take(Mailbox.Direction.BACKWARD, s, mb, wait);
              long cpu0 = cpu.nanoTime();
              start = clock.nanoTime();
              Tensor inputGrad = stage.backwardInput(mb, grad);
              if (action.type() == dev.pipeplan.simulator.schedule.ActionType.B) {
                stage.backwardWeight(mb);
              }
              long finish = clock.nanoTime();
              lastCpuNanos = cpu.nanoTime() - cpu0;
              busyCpuNanos += lastCpuNanos;
              if (!stage.isFirst()) {
                mailboxes
                    .get(schedule.deviceOf(s - 1))
                    .put(Mailbox.Direction.BACKWARD, s - 1, mb, inputGrad, wait);
              }
              yield finish;
            }
            case W -> {
              long cpu0 = cpu.nanoTime();
              start = clock.nanoTime();
              stage.backwardWeight(mb);
              long finish = clock.nanoTime();
              lastCpuNanos = cpu.nanoTime() - cpu0;
              busyCpuNanos += lastCpuNanos;
              yield finish;
            }
          };
      busyWallNanos += Math.max(0, end - start);

      return new TimedAction(device, action, start - t0, Math.max(start, end) - t0);
    }
  }
}
