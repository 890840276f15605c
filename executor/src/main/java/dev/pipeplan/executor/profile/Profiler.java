package dev.pipeplan.executor.profile;

import dev.pipeplan.executor.core.ops.Tensor;
import dev.pipeplan.executor.core.profile.LayerFits;
import dev.pipeplan.executor.core.profile.LayerMarks;
import dev.pipeplan.executor.core.profile.WorkerRounds;
import dev.pipeplan.executor.core.run.Fp32LayerMemory;
import dev.pipeplan.executor.core.runtime.Mailbox;
import dev.pipeplan.executor.core.runtime.NanoClock;
import dev.pipeplan.executor.cpu.CpuBackend;
import dev.pipeplan.executor.cpu.Nd4jOps;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.commons.math3.stat.regression.SimpleRegression;

/**
 * Measures a model's layers on the CPU backend, under the conditions a pipelined run gives them,
 * with executor-core's {@link WorkerRounds} on {@link Nd4jOps} timed by a {@link NanoClock}. Every
 * distinct layer (layers of the same kind and shape, the blocks of a transformer, are measured once
 * and share the result) runs in rounds: a round runs F on {@code inFlight} micro-batches in a row,
 * each keeping its activations as a pipeline stage does until the backward, then I and W of each in
 * the same order. First {@code warmup} rounds of every layer and size run unrecorded, so that the
 * JIT has compiled the op dispatch before anything is timed (a profile taken cold measured 25-40%
 * above one taken right after it; see docs/accuracy.md). Then two timed passes over the whole
 * model, one after the other, each of {@code repeats} rounds per layer and size: the kept time is
 * the median of both passes, and the two passes' medians against each other say how repeatable the
 * profile is ({@link Profile.Repeatability}). A line {@code fixed + perSample * b} is fitted with
 * least squares. The hand-off is measured as the time from one thread's send to a waiting thread's
 * receipt through the runtime's mailbox, at a few sizes.
 */
public final class Profiler {
  private static final long[] HANDOFF_FLOATS = {1L << 10, 1L << 16, 1L << 20};
  private static final int HANDOFF_REPEATS = 30;

  /**
   * The bandwidth recorded when the hand-off time does not grow with size (tensors pass by
   * reference).
   */
  public static final double UNBOUNDED_BYTES_PER_SECOND = 1e12;

  /** Timed passes over the model; their difference is the profile's repeatability. */
  static final int PASSES = WorkerRounds.PASSES;

  private Profiler() {}

  /**
   * How to profile.
   *
   * @param microBatchSizes the sizes to measure, each at least 1
   * @param warmup unrecorded rounds per layer and size, all run before anything is timed
   * @param repeats recorded rounds per layer and size in each of the two passes
   * @param threadsPerWorker native threads per op, as the workers of a run will have
   * @param seed weights and data seed
   * @param concurrentWorkers how many workers measure at once, each on its own copy of the layer,
   *     starting each round together: a run's p workers share caches and memory bandwidth, so
   *     measuring with p busy workers gives the times a busy pipeline sees (the first worker's
   *     times are kept)
   * @param inFlight micro-batches whose forwards run in a row, their activations alive together,
   *     before their backwards: a stage of a pipeline holds several micro-batches' activations
   */
  public record Options(
      List<Integer> microBatchSizes,
      int warmup,
      int repeats,
      int threadsPerWorker,
      long seed,
      int concurrentWorkers,
      int inFlight) {
    /** The largest {@code inFlight}: more costs profile time without changing what F sees. */
    public static final int MAX_IN_FLIGHT = 16;

    /** The most workers measured at once: a pipeline of at most this many CPU workers. */
    public static final int MAX_CONCURRENT_WORKERS = 64;

    public Options {
      microBatchSizes =
          List.copyOf(new TreeSet<>(Objects.requireNonNull(microBatchSizes, "microBatchSizes")));
      if (microBatchSizes.isEmpty()) {
        throw new BadInputException(
            "--microbatch-sizes is empty; give at least one size, for example 1,2,4,8");
      }
      for (int b : microBatchSizes) {
        Checks.positive("--microbatch-sizes: a micro-batch size", b);
      }
      dev.pipeplan.executor.core.command.ProfileOptions.checkRounds(warmup, repeats);
      dev.pipeplan.executor.core.command.RunOptions.checkThreads(threadsPerWorker);
      if (concurrentWorkers <= 0) {
        throw new BadInputException("--concurrent-workers must be > 0, got " + concurrentWorkers);
      }
      if (concurrentWorkers > MAX_CONCURRENT_WORKERS) {
        throw new BadInputException(
            "--concurrent-workers ("
                + concurrentWorkers
                + ") is over the limit of "
                + MAX_CONCURRENT_WORKERS);
      }
      if (inFlight <= 0 || inFlight > MAX_IN_FLIGHT) {
        throw new BadInputException(
            "--in-flight (micro-batches whose forwards run in a row) must be between 1 and "
                + MAX_IN_FLIGHT
                + ", got "
                + inFlight);
      }
    }

    /** One micro-batch in flight. */
    public Options(
        List<Integer> microBatchSizes,
        int warmup,
        int repeats,
        int threadsPerWorker,
        long seed,
        int concurrentWorkers) {
      this(microBatchSizes, warmup, repeats, threadsPerWorker, seed, concurrentWorkers, 1);
    }

    /**
     * Sizes 1, 2, 4, 8; 2 warm-up rounds, then 2 passes of 3 rounds; 2 micro-batches in flight; one
     * thread per worker; one worker at a time.
     */
    public static Options defaults() {
      return new Options(List.of(1, 2, 4, 8), 2, 3, 1, 1L, 1, 2);
    }

    /** The same options at other micro-batch sizes. */
    public Options withMicroBatchSizes(List<Integer> sizes) {
      return new Options(
          sizes, warmup, repeats, threadsPerWorker, seed, concurrentWorkers, inFlight);
    }

    public Options withConcurrentWorkers(int workers) {
      return new Options(
          microBatchSizes, warmup, repeats, threadsPerWorker, seed, workers, inFlight);
    }
  }

  /** {@link #checkFitsThisMachine} against this machine's memory, before any work. */
  public static void checkFitsThisMachine(ModelSpec model, Options options) {
    checkFitsThisMachine(model, options, dev.pipeplan.executor.PlanRunner.machineMemoryBytes());
  }

  /**
   * Refuses a profile whose largest layer would not fit this machine: each concurrent worker keeps
   * {@code inFlight} micro-batches of the largest size of the largest layer's activations ({@link
   * Fp32LayerMemory}, the estimate the plan runner's check sums), beside the largest weights and
   * gradients. A huge micro-batch size would otherwise end, after a while, in an out-of-memory
   * error.
   */
  static void checkFitsThisMachine(ModelSpec model, Options options, long availableBytes) {
    int largest = 0;
    for (int b : options.microBatchSizes()) {
      largest = Math.max(largest, b);
    }
    double perSample = 0;
    double weights = 0;
    for (var layer : model.layers()) {
      Fp32LayerMemory memory = Fp32LayerMemory.of(model.dtype(), layer);
      perSample = Math.max(perSample, memory.activationBytesPerSample());
      weights = Math.max(weights, memory.weightAndGradientBytes());
    }
    double needed =
        new Fp32LayerMemory(perSample, weights).bytes(largest, options.inFlight())
            * options.concurrentWorkers();
    if (needed > availableBytes) {
      throw new BadInputException(
          String.format(
              java.util.Locale.ROOT,
              "--microbatch-sizes up to %d with %d in flight on %d concurrent worker(s) need about"
                  + " %.1f GiB for the largest layer of model %s, over the %.1f GiB this machine gives"
                  + " the CPU executor. Maybe use smaller micro-batch sizes.",
              largest,
              options.inFlight(),
              options.concurrentWorkers(),
              needed / (1024.0 * 1024 * 1024),
              model.name(),
              availableBytes / (1024.0 * 1024 * 1024)));
    }
  }

  /**
   * Profiles every layer of the model; {@code progress} hears one line per distinct layer measured.
   * Layer times are read from {@code clock} on the measuring thread ({@link NanoClock#threadCpu()}
   * keeps other processes out of them) by executor-core's {@link WorkerRounds}; the hand-off is
   * always timed in wall time.
   */
  public static Profile profile(
      ModelSpec model, Options options, NanoClock clock, Consumer<String> progress) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(clock, "clock");
    checkFitsThisMachine(model, options, dev.pipeplan.executor.PlanRunner.machineMemoryBytes());
    String threads = CpuBackend.configure(options.threadsPerWorker());
    WorkerRounds.Result measured =
        WorkerRounds.measure(
            model,
            new Nd4jOps(),
            new WorkerRounds.Settings(
                options.microBatchSizes(),
                options.warmup(),
                options.repeats(),
                options.seed(),
                options.concurrentWorkers(),
                options.inFlight()),
            () -> LayerMarks.clock(clock::nanoTime),
            progress);
    // the hand-off spans two threads: only wall time can measure it
    long[] handoff = measureHandoff(NanoClock.system());
    String machine =
        CpuBackend.describeMachine()
            + "; "
            + threads
            + "; measured with "
            + options.concurrentWorkers()
            + " concurrent worker"
            + (options.concurrentWorkers() == 1 ? "" : "s")
            + ", "
            + options.inFlight()
            + " micro-batch"
            + (options.inFlight() == 1 ? "" : "es")
            + " in flight";
    return new Profile(
        model.name(),
        CpuBackend.NAME,
        machine,
        measured.layers(),
        handoff[0],
        handoff[1] <= 0
            ? UNBOUNDED_BYTES_PER_SECOND
            : Math.min(UNBOUNDED_BYTES_PER_SECOND, 1e9 / (handoff[1] / 1e6)),
        measured.repeatability(),
        List.of(),
        model.sequenceLength());
  }

  /**
   * Median send-to-receipt time through a mailbox, at a few sizes: returns {latency in ns, ns per
   * MB}, the line's intercept and slope (the slope is 0 or below when tensors pass by reference).
   */
  static long[] measureHandoff(NanoClock clock) {
    SimpleRegression regression = new SimpleRegression(true);
    Nd4jOps handoffOps = new Nd4jOps();
    for (long floats : HANDOFF_FLOATS) {
      Tensor tensor = handoffOps.zeros(floats);
      long[] times = new long[HANDOFF_REPEATS];
      Mailbox box = new Mailbox(1);
      long[] sentAt = new long[1];
      Thread receiver =
          new Thread(
              () -> {
                try {
                  for (int r = 0; r < HANDOFF_REPEATS; r++) {
                    box.take(Mailbox.Direction.FORWARD, 0, r, 10_000_000_000L);
                    times[r] = clock.nanoTime() - sentAt[0];
                  }
                } catch (Exception e) {
                  Thread.currentThread().interrupt();
                }
              },
              "pipeplan-profile-handoff");
      receiver.setDaemon(true);
      receiver.start();
      try {
        for (int r = 0; r < HANDOFF_REPEATS; r++) {
          Thread.sleep(1);
          sentAt[0] = clock.nanoTime();
          box.put(Mailbox.Direction.FORWARD, 0, r, tensor, 10_000_000_000L);
          while (box.size() > 0) {
            Thread.onSpinWait();
          }
        }
        receiver.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while measuring the hand-off", e);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("the hand-off measurement stalled: " + e.getMessage(), e);
      }
      handoffOps.free(tensor);
      regression.addData(floats * 4 / 1e6, LayerFits.median(times));
    }
    return new long[] {
      Math.max(0, Math.round(regression.getIntercept())), Math.round(regression.getSlope())
    };
  }
}
