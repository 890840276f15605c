package dev.pipeplan.executor.profile;

import dev.pipeplan.executor.cpu.CpuBackend;
import dev.pipeplan.executor.layers.ExecutableLayer;
import dev.pipeplan.executor.layers.LayerFactory;
import dev.pipeplan.executor.layers.MicroBatch;
import dev.pipeplan.executor.layers.Tensors;
import dev.pipeplan.executor.runtime.Mailbox;
import dev.pipeplan.executor.runtime.NanoClock;
import dev.pipeplan.executor.runtime.SyntheticData;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.data.SyntheticTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.commons.math3.stat.regression.SimpleRegression;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Measures a model's layers on the CPU backend. For each layer and micro-batch size it runs F, I
 * and W back to back ({@code warmup} times unrecorded, then {@code repeats} times), keeps the
 * median of each, and fits {@code fixed + perSample * b} with least squares. Layers with the same
 * kind and shape (the blocks of a transformer) are measured once and share the result. The hand-off
 * is measured as the time from one thread's send to a waiting thread's receipt through the
 * runtime's mailbox, at a few tensor sizes.
 */
public final class Profiler {
  private static final long[] HANDOFF_FLOATS = {1L << 10, 1L << 16, 1L << 20};
  private static final int HANDOFF_REPEATS = 30;

  /**
   * The bandwidth recorded when the hand-off time does not grow with size (tensors pass by
   * reference).
   */
  public static final double UNBOUNDED_BYTES_PER_SECOND = 1e12;

  private Profiler() {}

  /**
   * How to profile.
   *
   * @param microBatchSizes the sizes to measure, each at least 1
   * @param warmup unrecorded runs before measuring, per layer and size
   * @param repeats recorded runs, per layer and size; the median is kept
   * @param threadsPerWorker native threads per op, as the workers of a run will have
   * @param seed weights and data seed
   * @param concurrentWorkers how many workers measure at once, each on its own copy of the layer,
   *     starting each repetition together: a run's p workers share caches and memory bandwidth, so
   *     measuring with p busy workers gives the times a busy pipeline sees (the first worker's
   *     times are kept)
   */
  public record Options(
      List<Integer> microBatchSizes,
      int warmup,
      int repeats,
      int threadsPerWorker,
      long seed,
      int concurrentWorkers) {
    public Options {
      microBatchSizes =
          List.copyOf(new TreeSet<>(Objects.requireNonNull(microBatchSizes, "microBatchSizes")));
      if (microBatchSizes.isEmpty()) {
        throw new BadInputException(
            "microbatch-sizes is empty; give at least one size, for example 1,2,4,8");
      }
      for (int b : microBatchSizes) {
        Checks.positive("micro-batch size", b);
      }
      Checks.nonNegative("warmup", warmup);
      Checks.positive("repeats", repeats);
      Checks.positive("threads", threadsPerWorker);
      Checks.positive("concurrent workers", concurrentWorkers);
    }

    /**
     * Sizes 1, 2, 4, 8; 2 warm-up runs and 5 repeats; one thread per worker; one worker at a time.
     */
    public static Options defaults() {
      return new Options(List.of(1, 2, 4, 8), 2, 5, 1, 1L, 1);
    }

    public Options withConcurrentWorkers(int workers) {
      return new Options(microBatchSizes, warmup, repeats, threadsPerWorker, seed, workers);
    }
  }

  /**
   * Profiles every layer of the model; {@code progress} hears one line per layer measured. Layer
   * times are read from {@code clock} on the measuring thread ({@link NanoClock#threadCpu()} keeps
   * other processes out of them); the hand-off is always timed in wall time.
   */
  public static Profile profile(
      ModelSpec model, Options options, NanoClock clock, Consumer<String> progress) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(options, "options");
    String threads = CpuBackend.configure(options.threadsPerWorker());
    int seq = SyntheticTokens.sequenceLength(model);
    int vocab = Math.max(1, SyntheticTokens.vocabulary(model));
    SplittableRandom root = new SplittableRandom(options.seed());
    Map<String, Profile.LayerProfile> byShape = new HashMap<>();
    List<Profile.LayerProfile> layers = new ArrayList<>(model.layerCount());
    for (LayerSpec spec : model.layers()) {
      SplittableRandom random = root.split();
      String shapeKey = spec.kind().id() + spec.shape();
      Profile.LayerProfile known = byShape.get(shapeKey);
      if (known != null) {
        layers.add(
            new Profile.LayerProfile(
                spec.name(),
                known.samples(),
                known.forward(),
                known.backwardInput(),
                known.backwardWeight()));
        continue;
      }
      List<ExecutableLayer<?>> copies = new ArrayList<>();
      for (int w = 0; w < options.concurrentWorkers(); w++) {
        copies.add(LayerFactory.build(spec, w == 0 ? random : random.split(), DataType.FLOAT));
      }
      List<MeasuredTimes> samples = new ArrayList<>();
      for (int b : options.microBatchSizes()) {
        samples.add(measureConcurrently(copies, spec, b, seq, vocab, options, clock, random));
      }
      Profile.LayerProfile measured =
          new Profile.LayerProfile(
              spec.name(),
              samples,
              fit(samples, MeasuredTimes::forwardNanos),
              fit(samples, MeasuredTimes::backwardInputNanos),
              fit(samples, MeasuredTimes::backwardWeightNanos));
      byShape.put(shapeKey, measured);
      layers.add(measured);
      progress.accept(describe(measured));
    }
    // the hand-off spans two threads: only wall time can measure it
    long[] handoff = measureHandoff(NanoClock.system());
    String machine =
        CpuBackend.describeMachine()
            + "; "
            + threads
            + "; measured with "
            + options.concurrentWorkers()
            + " concurrent worker"
            + (options.concurrentWorkers() == 1 ? "" : "s");
    return new Profile(
        model.name(),
        CpuBackend.NAME,
        machine,
        layers,
        handoff[0],
        handoff[1] <= 0
            ? UNBOUNDED_BYTES_PER_SECOND
            : Math.min(UNBOUNDED_BYTES_PER_SECOND, 1e9 / (handoff[1] / 1e6)));
  }

  /**
   * Measures every copy at once on its own thread (the first on this one) and returns the first
   * copy's times.
   */
  private static MeasuredTimes measureConcurrently(
      List<ExecutableLayer<?>> copies,
      LayerSpec spec,
      int b,
      int seq,
      int vocab,
      Options options,
      NanoClock clock,
      SplittableRandom random) {
    if (copies.size() == 1) {
      return measure(copies.get(0), spec, b, seq, vocab, options, clock, random, null);
    }
    CyclicBarrier together = new CyclicBarrier(copies.size());
    List<Thread> others = new ArrayList<>();
    Throwable[] failure = new Throwable[1];
    for (int w = 1; w < copies.size(); w++) {
      ExecutableLayer<?> copy = copies.get(w);
      SplittableRandom own = random.split();
      Thread t =
          new Thread(
              () -> {
                try {
                  measure(copy, spec, b, seq, vocab, options, clock, own, together);
                } catch (RuntimeException e) {
                  synchronized (failure) {
                    failure[0] = e;
                  }
                  together.reset();
                }
              },
              "pipeplan-profile-worker-" + w);
      t.setDaemon(true);
      others.add(t);
      t.start();
    }
    MeasuredTimes mine;
    try {
      mine = measure(copies.get(0), spec, b, seq, vocab, options, clock, random, together);
    } finally {
      for (Thread t : others) {
        try {
          t.join(TimeUnit.MINUTES.toMillis(10));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    synchronized (failure) {
      if (failure[0] != null) {
        throw new IllegalStateException(
            "a concurrent profiling worker failed: " + failure[0].getMessage(), failure[0]);
      }
    }
    return mine;
  }

  private static MeasuredTimes measure(
      ExecutableLayer<?> layer,
      LayerSpec spec,
      int b,
      int seq,
      int vocab,
      Options options,
      NanoClock clock,
      SplittableRandom random,
      CyclicBarrier together) {
    MicroBatch data = new SyntheticData(options.seed(), vocab, seq, b).microBatch(0, 0, b);
    INDArray input =
        spec.kind() == LayerKind.EMBEDDING
            ? null
            : Tensors.normal(random, 1.0, DataType.FLOAT, data.rows(), inputWidth(spec));
    INDArray outputGrad = null;
    int runs = options.warmup() + options.repeats();
    long[] f = new long[options.repeats()];
    long[] i = new long[options.repeats()];
    long[] w = new long[options.repeats()];
    for (int r = 0; r < runs; r++) {
      if (together != null) {
        awaitTogether(together);
      }
      // the layer owns what it is given, as in a run: hand it copies
      INDArray x = input == null ? null : input.dup();
      long t0 = clock.nanoTime();
      INDArray out = layer.forward(0, x, data);
      long t1 = clock.nanoTime();
      if (!layer.retainsInput()) {
        Tensors.release(x);
      }
      if (outputGrad == null && !layer.isLoss()) {
        outputGrad = Tensors.normal(random, 1e-3, DataType.FLOAT, out.shape());
      }
      Tensors.release(out);
      INDArray dy = outputGrad == null ? null : outputGrad.dup();
      long t2 = clock.nanoTime();
      INDArray dx = layer.backwardInput(0, dy);
      long t3 = clock.nanoTime();
      layer.backwardWeight(0);
      long t4 = clock.nanoTime();
      Tensors.release(dx);
      if (r >= options.warmup()) {
        f[r - options.warmup()] = t1 - t0;
        i[r - options.warmup()] = t3 - t2;
        w[r - options.warmup()] = t4 - t3;
      }
    }
    layer.zeroGradients();
    return new MeasuredTimes(b, median(f), median(i), median(w));
  }

  private static void awaitTogether(CyclicBarrier together) {
    try {
      together.await(10, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while profiling", e);
    } catch (BrokenBarrierException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("a concurrent profiling worker stopped", e);
    }
  }

  private static long inputWidth(LayerSpec spec) {
    return spec.kind() == LayerKind.MLP ? spec.shapeValue("in") : spec.shapeValue("hidden");
  }

  /**
   * Least squares of the times on b; with one size, a line through the origin. Never a negative
   * slope.
   */
  static Profile.LinearFit fit(
      List<MeasuredTimes> samples, java.util.function.ToLongFunction<MeasuredTimes> time) {
    if (samples.size() == 1) {
      MeasuredTimes only = samples.get(0);
      return new Profile.LinearFit(0, time.applyAsLong(only) / (double) only.microBatchSize());
    }
    SimpleRegression regression = new SimpleRegression(true);
    for (MeasuredTimes s : samples) {
      regression.addData(s.microBatchSize(), time.applyAsLong(s));
    }
    double slope = regression.getSlope();
    double intercept = regression.getIntercept();
    if (slope < 0) {
      double mean = 0;
      for (MeasuredTimes s : samples) {
        mean += time.applyAsLong(s);
      }
      return new Profile.LinearFit(mean / samples.size(), 0);
    }
    return new Profile.LinearFit(intercept, slope);
  }

  /**
   * Median send-to-receipt time through a mailbox, at a few sizes: returns {latency in ns, ns per
   * MB}, the line's intercept and slope (the slope is 0 or below when tensors pass by reference).
   */
  static long[] measureHandoff(NanoClock clock) {
    SimpleRegression regression = new SimpleRegression(true);
    for (long floats : HANDOFF_FLOATS) {
      INDArray tensor = Tensors.zeros(DataType.FLOAT, floats);
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
      regression.addData(floats * 4 / 1e6, median(times));
    }
    return new long[] {
      Math.max(0, Math.round(regression.getIntercept())), Math.round(regression.getSlope())
    };
  }

  static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(sorted.length - 1) / 2];
  }

  private static String describe(Profile.LayerProfile p) {
    MeasuredTimes last = p.samples().get(p.samples().size() - 1);
    return String.format(
        java.util.Locale.ROOT,
        "%s: b=%d F %.3f ms, I %.3f ms, W %.3f ms",
        p.layerName(),
        last.microBatchSize(),
        last.forwardNanos() / 1e6,
        last.backwardInputNanos() / 1e6,
        last.backwardWeightNanos() / 1e6);
  }
}
