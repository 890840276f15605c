package dev.pipeplan.executor.profile;

import dev.pipeplan.executor.core.layers.DeviceBatch;
import dev.pipeplan.executor.core.layers.Layer;
import dev.pipeplan.executor.core.layers.Layers;
import dev.pipeplan.executor.core.layers.LmHeadLayer;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import dev.pipeplan.executor.cpu.CpuBackend;
import dev.pipeplan.executor.cpu.Nd4jOps;
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

/**
 * Measures a model's layers on the CPU backend, under the conditions a pipelined run gives them.
 * Every distinct layer (layers of the same kind and shape, the blocks of a transformer, are
 * measured once and share the result) runs in rounds: a round runs F on {@code inFlight}
 * micro-batches in a row, each keeping its activations as a pipeline stage does until the backward,
 * then I and W of each in the same order. First {@code warmup} rounds of every layer and size run
 * unrecorded, so that the JIT has compiled the op dispatch before anything is timed (a profile
 * taken cold measured 25-40% above one taken right after it; see docs/accuracy.md). Then two timed
 * passes over the whole model, one after the other, each of {@code repeats} rounds per layer and
 * size: the kept time is the median of both passes, and the two passes' medians against each other
 * say how repeatable the profile is ({@link Profile.Repeatability}). A line {@code fixed +
 * perSample * b} is fitted with least squares. The hand-off is measured as the time from one
 * thread's send to a waiting thread's receipt through the runtime's mailbox, at a few sizes.
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
  static final int PASSES = 2;

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
      Checks.positive("in-flight micro-batches", inFlight);
      if (inFlight > MAX_IN_FLIGHT) {
        throw new BadInputException(
            "in-flight micro-batches (" + inFlight + ") is over the limit of " + MAX_IN_FLIGHT);
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

    public Options withConcurrentWorkers(int workers) {
      return new Options(
          microBatchSizes, warmup, repeats, threadsPerWorker, seed, workers, inFlight);
    }
  }

  /** The recorded times of one layer at one size: per action F, I, W, per pass, every value. */
  private static final class Recorded {
    final long[][][] nanos; // [pass][action][value]
    final int[] filled = new int[PASSES];

    Recorded(int perPass) {
      nanos = new long[PASSES][3][perPass];
    }
  }

  /** One distinct layer being measured: its spec, its copies (one per concurrent worker). */
  private record Distinct(LayerSpec spec, List<Layer<?>> copies, Recorded[] bySize) {}

  /**
   * Profiles every layer of the model; {@code progress} hears one line per distinct layer measured.
   * Layer times are read from {@code clock} on the measuring thread ({@link NanoClock#threadCpu()}
   * keeps other processes out of them); the hand-off is always timed in wall time.
   */
  public static Profile profile(
      ModelSpec model, Options options, NanoClock clock, Consumer<String> progress) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(options, "options");
    String threads = CpuBackend.configure(options.threadsPerWorker());
    int seq = SyntheticTokens.sequenceLength(model);
    int vocab = Math.max(1, SyntheticTokens.vocabulary(model));
    SplittableRandom root = new SplittableRandom(options.seed());
    Ops ops = new Nd4jOps();
    int perPass = options.repeats() * options.inFlight();
    // the distinct layers in model order, and which one each layer is
    Map<String, Integer> byShape = new HashMap<>();
    List<Distinct> distinct = new ArrayList<>();
    int[] distinctOf = new int[model.layerCount()];
    for (int l = 0; l < model.layerCount(); l++) {
      LayerSpec spec = model.layer(l);
      SplittableRandom random = root.split();
      String shapeKey = spec.kind().id() + spec.shape();
      Integer known = byShape.get(shapeKey);
      if (known != null) {
        distinctOf[l] = known;
        continue;
      }
      List<Layer<?>> copies = new ArrayList<>();
      for (int w = 0; w < options.concurrentWorkers(); w++) {
        copies.add(Layers.build(ops, spec, w == 0 ? random : random.split()));
      }
      Recorded[] bySize = new Recorded[options.microBatchSizes().size()];
      for (int i = 0; i < bySize.length; i++) {
        bySize[i] = new Recorded(perPass);
      }
      byShape.put(shapeKey, distinct.size());
      distinctOf[l] = distinct.size();
      distinct.add(new Distinct(spec, copies, bySize));
    }
    // warm-up of everything first, then the timed passes over the whole model
    try {
      for (int pass = -1; pass < PASSES; pass++) {
        int rounds = pass < 0 ? options.warmup() : options.repeats();
        for (Distinct d : distinct) {
          for (int i = 0; i < options.microBatchSizes().size(); i++) {
            int b = options.microBatchSizes().get(i);
            measureConcurrently(
                ops,
                d.copies(),
                d.spec(),
                b,
                seq,
                vocab,
                options,
                clock,
                rounds,
                pass,
                d.bySize()[i]);
          }
        }
      }
    } finally {
      for (Distinct d : distinct) {
        for (Layer<?> copy : d.copies()) {
          copy.release(ops);
        }
      }
    }
    List<Profile.LayerProfile> measured = new ArrayList<>(distinct.size());
    List<Double> spreads = new ArrayList<>();
    List<Double> passDifferences = new ArrayList<>();
    for (Distinct d : distinct) {
      List<MeasuredTimes> samples = new ArrayList<>();
      for (int i = 0; i < options.microBatchSizes().size(); i++) {
        Recorded r = d.bySize()[i];
        long[] kept = new long[3];
        for (int a = 0; a < 3; a++) {
          long[] all = new long[PASSES * perPass];
          for (int pass = 0; pass < PASSES; pass++) {
            System.arraycopy(r.nanos[pass][a], 0, all, pass * perPass, perPass);
          }
          kept[a] = median(all);
          if (kept[a] > 0) {
            for (int pass = 0; pass < PASSES; pass++) {
              long[] own = r.nanos[pass][a].clone();
              Arrays.sort(own);
              spreads.add((own[own.length - 1] - own[0]) / (double) kept[a]);
            }
            passDifferences.add(
                Math.abs(median(r.nanos[0][a]) - median(r.nanos[1][a])) / (double) kept[a]);
          }
        }
        samples.add(new MeasuredTimes(options.microBatchSizes().get(i), kept[0], kept[1], kept[2]));
      }
      Profile.LayerProfile layer =
          new Profile.LayerProfile(
              d.spec().name(),
              samples,
              fit(samples, MeasuredTimes::forwardNanos),
              fit(samples, MeasuredTimes::backwardInputNanos),
              fit(samples, MeasuredTimes::backwardWeightNanos));
      measured.add(layer);
      progress.accept(describe(layer));
    }
    List<Profile.LayerProfile> layers = new ArrayList<>(model.layerCount());
    for (int l = 0; l < model.layerCount(); l++) {
      Profile.LayerProfile m = measured.get(distinctOf[l]);
      layers.add(
          new Profile.LayerProfile(
              model.layer(l).name(),
              m.samples(),
              m.forward(),
              m.backwardInput(),
              m.backwardWeight()));
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
        layers,
        handoff[0],
        handoff[1] <= 0
            ? UNBOUNDED_BYTES_PER_SECOND
            : Math.min(UNBOUNDED_BYTES_PER_SECOND, 1e9 / (handoff[1] / 1e6)),
        new Profile.Repeatability(
            options.repeats(),
            medianOf(spreads),
            medianOf(passDifferences),
            passDifferences.stream().mapToDouble(Double::doubleValue).max().orElse(-1)),
        List.of());
  }

  private static double medianOf(List<Double> values) {
    if (values.isEmpty()) {
      return -1;
    }
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted[(sorted.length - 1) / 2];
  }

  /**
   * Runs {@code rounds} rounds on every copy at once, each on its own thread (the first on this
   * one), and records the first copy's times in {@code into} for {@code pass} (none for the
   * warm-up, pass -1).
   */
  private static void measureConcurrently(
      Ops ops,
      List<Layer<?>> copies,
      LayerSpec spec,
      int b,
      int seq,
      int vocab,
      Options options,
      NanoClock clock,
      int rounds,
      int pass,
      Recorded into) {
    if (rounds == 0) {
      return;
    }
    if (copies.size() == 1) {
      measure(ops, copies.get(0), spec, b, seq, vocab, options, clock, rounds, pass, into, null);
      return;
    }
    CyclicBarrier together = new CyclicBarrier(copies.size());
    List<Thread> others = new ArrayList<>();
    Throwable[] failure = new Throwable[1];
    for (int w = 1; w < copies.size(); w++) {
      Layer<?> copy = copies.get(w);
      Thread t =
          new Thread(
              () -> {
                try {
                  measure(
                      ops, copy, spec, b, seq, vocab, options, clock, rounds, -1, null, together);
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
    try {
      measure(
          ops, copies.get(0), spec, b, seq, vocab, options, clock, rounds, pass, into, together);
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
  }

  /**
   * Runs the rounds on one layer: F on {@code inFlight} micro-batches, their outputs handed on
   * (freed here), their activations kept; then I and W of each, oldest first.
   */
  private static void measure(
      Ops ops,
      Layer<?> layer,
      LayerSpec spec,
      int b,
      int seq,
      int vocab,
      Options options,
      NanoClock clock,
      int rounds,
      int pass,
      Recorded into,
      CyclicBarrier together) {
    // the data do not change the time; a seed per size keeps them the same in every pass
    SplittableRandom random = new SplittableRandom(options.seed() * 1_000_003L + b);
    DeviceBatch data = new SyntheticData(options.seed(), vocab, seq, b).microBatch(ops, 0, 0, b);
    Tensor input =
        spec.kind() == LayerKind.EMBEDDING
            ? null
            : ops.upload(normal(random, 1.0, (long) data.rows() * inputWidth(spec)));
    try {
      measureRounds(
          ops, layer, data, input, random, clock, options.inFlight(), rounds, pass, into, together);
    } finally {
      data.release(ops);
      ops.free(input);
    }
    layer.zeroGradients(ops);
  }

  /** The rounds of {@link #measure}; the layer gets copies of the input and output gradient. */
  private static void measureRounds(
      Ops ops,
      Layer<?> layer,
      DeviceBatch data,
      Tensor input,
      SplittableRandom random,
      NanoClock clock,
      int k,
      int rounds,
      int pass,
      Recorded into,
      CyclicBarrier together) {
    float[] outputGrad = null;
    for (int r = 0; r < rounds; r++) {
      if (together != null) {
        awaitTogether(together);
      }
      long[] f = new long[k];
      long[] i = new long[k];
      long[] w = new long[k];
      for (int j = 0; j < k; j++) {
        Tensor x = input == null ? null : ops.alloc(input.length());
        if (x != null) {
          ops.copy(input, x);
        }
        long t0 = clock.nanoTime();
        Tensor out = layer.forward(ops, j, x, data);
        long t1 = clock.nanoTime();
        f[j] = t1 - t0;
        ops.free(x);
        if (outputGrad == null && out != null) {
          outputGrad = normal(random, 1e-3, out.length());
        }
        ops.free(out);
        if (layer instanceof LmHeadLayer) {
          for (Tensor terms : ((LmHeadLayer) layer).takeAllLossTerms()) {
            ops.free(terms);
          }
        }
      }
      for (int j = 0; j < k; j++) {
        Tensor dy = outputGrad == null ? null : ops.upload(outputGrad);
        long t2 = clock.nanoTime();
        Tensor dx = layer.backwardInput(ops, j, dy);
        long t3 = clock.nanoTime();
        layer.backwardWeight(ops, j);
        long t4 = clock.nanoTime();
        i[j] = t3 - t2;
        w[j] = t4 - t3;
        ops.free(dx);
      }
      if (into != null && pass >= 0) {
        int at = into.filled[pass];
        System.arraycopy(f, 0, into.nanos[pass][0], at, k);
        System.arraycopy(i, 0, into.nanos[pass][1], at, k);
        System.arraycopy(w, 0, into.nanos[pass][2], at, k);
        into.filled[pass] = at + k;
      }
    }
  }

  /** {@code n} normal(0, std) values drawn from the stream in order. */
  private static float[] normal(SplittableRandom random, double std, long n) {
    float[] v = new float[Math.toIntExact(n)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (random.nextGaussian() * std);
    }
    return v;
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
