package dev.pipeplan.executor.core.profile;

import dev.pipeplan.executor.core.layers.DeviceBatch;
import dev.pipeplan.executor.core.layers.Layer;
import dev.pipeplan.executor.core.layers.Layers;
import dev.pipeplan.executor.core.layers.LmHeadLayer;
import dev.pipeplan.executor.core.layers.ModelStyle;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.data.SyntheticTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The measuring loop of a backend whose ops return when done (the CPU), under the conditions a
 * pipelined run gives a layer. Every distinct layer ({@link DistinctLayers}) runs in rounds: a
 * round runs F on {@code inFlight} micro-batches in a row, each keeping its activations as a
 * pipeline stage does until the backward, then I and W of each in the same order. First {@code
 * warmup} rounds of every layer and size run unrecorded, so that the JIT has compiled the op
 * dispatch before anything is timed. Then {@link #PASSES} timed passes over the whole model, one
 * after the other, each of {@code repeats} rounds per layer and size: the kept time is the median
 * of both passes, and the two passes' medians against each other say how repeatable the profile is.
 * With {@code concurrentWorkers} above 1, that many threads measure at once, each on its own copy
 * of the layer, starting each round together; the first worker's times are kept.
 */
public final class WorkerRounds {
  /** Timed passes over the model; their difference is the profile's repeatability. */
  public static final int PASSES = 2;

  private WorkerRounds() {}

  /**
   * What to measure; the caller has checked the values (each size and count at least 1, warm-up at
   * least 0).
   *
   * @param microBatchSizes the sizes to measure, ascending
   * @param warmup unrecorded rounds per layer and size, all run before anything is timed
   * @param repeats recorded rounds per layer and size in each pass
   * @param seed weights and data seed
   * @param concurrentWorkers threads measuring at once, each on its own copy of the layer
   * @param inFlight micro-batches whose forwards run in a row before their backwards
   */
  public record Settings(
      List<Integer> microBatchSizes,
      int warmup,
      int repeats,
      long seed,
      int concurrentWorkers,
      int inFlight) {
    public Settings {
      microBatchSizes = List.copyOf(microBatchSizes);
      Checks.nonNegative("warmup", warmup);
      Checks.positive("repeats", repeats);
      Checks.positive("concurrent workers", concurrentWorkers);
      Checks.positive("in-flight micro-batches", inFlight);
    }
  }

  /** Every layer's profile, in model order, and how repeatable the times were. */
  public record Result(List<Profile.LayerProfile> layers, Profile.Repeatability repeatability) {
    public Result {
      layers = List.copyOf(layers);
      Objects.requireNonNull(repeatability, "repeatability");
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
   * Profiles every layer of {@code model} on {@code ops}; {@code progress} hears one line per
   * distinct layer measured.
   *
   * @param marks a new timer for each measuring thread (read on that thread)
   */
  public static Result measure(
      ModelSpec model,
      Ops ops,
      Settings settings,
      Supplier<LayerMarks> marks,
      Consumer<String> progress) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(ops, "ops");
    Objects.requireNonNull(marks, "marks");
    int seq = SyntheticTokens.sequenceLength(model);
    int vocab = Math.max(1, SyntheticTokens.vocabulary(model));
    SplittableRandom root = new SplittableRandom(settings.seed());
    int perPass = settings.repeats() * settings.inFlight();
    DistinctLayers groups = DistinctLayers.of(model);
    ModelStyle style = ModelStyle.of(model);
    List<Distinct> distinct = new ArrayList<>(groups.count());
    for (int l = 0; l < model.layerCount(); l++) {
      SplittableRandom random = root.split();
      if (distinct.size() == groups.count() || groups.firstLayers().get(distinct.size()) != l) {
        continue;
      }
      LayerSpec spec = model.layer(l);
      List<Layer<?>> copies = new ArrayList<>();
      for (int w = 0; w < settings.concurrentWorkers(); w++) {
        copies.add(Layers.build(ops, spec, style, w == 0 ? random : random.split()));
      }
      Recorded[] bySize = new Recorded[settings.microBatchSizes().size()];
      for (int i = 0; i < bySize.length; i++) {
        bySize[i] = new Recorded(perPass);
      }
      distinct.add(new Distinct(spec, copies, bySize));
    }
    // warm-up of everything first, then the timed passes over the whole model
    try {
      for (int pass = -1; pass < PASSES; pass++) {
        int rounds = pass < 0 ? settings.warmup() : settings.repeats();
        for (Distinct d : distinct) {
          for (int i = 0; i < settings.microBatchSizes().size(); i++) {
            int b = settings.microBatchSizes().get(i);
            measureConcurrently(
                ops,
                d.copies(),
                d.spec(),
                b,
                seq,
                vocab,
                settings,
                marks,
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
      for (int i = 0; i < settings.microBatchSizes().size(); i++) {
        Recorded r = d.bySize()[i];
        long[] kept = new long[3];
        for (int a = 0; a < 3; a++) {
          long[] all = new long[PASSES * perPass];
          for (int pass = 0; pass < PASSES; pass++) {
            System.arraycopy(r.nanos[pass][a], 0, all, pass * perPass, perPass);
          }
          kept[a] = LayerFits.median(all);
          if (kept[a] > 0) {
            for (int pass = 0; pass < PASSES; pass++) {
              long[] own = r.nanos[pass][a].clone();
              Arrays.sort(own);
              spreads.add((own[own.length - 1] - own[0]) / (double) kept[a]);
            }
            passDifferences.add(
                Math.abs(LayerFits.median(r.nanos[0][a]) - LayerFits.median(r.nanos[1][a]))
                    / (double) kept[a]);
          }
        }
        samples.add(
            new MeasuredTimes(settings.microBatchSizes().get(i), kept[0], kept[1], kept[2]));
      }
      Profile.LayerProfile layer = LayerFits.layerProfile(d.spec().name(), samples);
      measured.add(layer);
      progress.accept(LayerFits.progressLine(layer));
    }
    return new Result(
        groups.expand(model, measured),
        new Profile.Repeatability(
            settings.repeats(),
            medianOf(spreads),
            medianOf(passDifferences),
            passDifferences.stream().mapToDouble(Double::doubleValue).max().orElse(-1)));
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
      Settings settings,
      Supplier<LayerMarks> marks,
      int rounds,
      int pass,
      Recorded into) {
    if (rounds == 0) {
      return;
    }
    if (copies.size() == 1) {
      measure(ops, copies.get(0), spec, b, seq, vocab, settings, marks, rounds, pass, into, null);
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
                      ops, copy, spec, b, seq, vocab, settings, marks, rounds, -1, null, together);
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
          ops, copies.get(0), spec, b, seq, vocab, settings, marks, rounds, pass, into, together);
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
      Settings settings,
      Supplier<LayerMarks> marks,
      int rounds,
      int pass,
      Recorded into,
      CyclicBarrier together) {
    // the data do not change the time; a seed per size keeps them the same in every pass
    SplittableRandom random = new SplittableRandom(settings.seed() * 1_000_003L + b);
    SyntheticTokens tokens = new SyntheticTokens(settings.seed(), vocab, seq, b);
    SyntheticTokens.Batch batch = tokens.samples(0, 0, b);
    DeviceBatch data =
        DeviceBatch.upload(
            ops, batch.tokens(), batch.labels(), b, seq, tokens.lossTerms(), batch.featureSeed());
    Tensor input =
        spec.kind() == LayerKind.EMBEDDING
            ? null
            : ops.upload(normal(random, 1.0, (long) data.rows() * Layers.inputWidth(spec)));
    try {
      measureRounds(
          ops,
          layer,
          data,
          input,
          random,
          marks.get(),
          settings.inFlight(),
          rounds,
          pass,
          into,
          together);
    } finally {
      data.release(ops);
      ops.free(input);
    }
    layer.zeroGradients(ops);
  }

  /**
   * The rounds of {@link #measure}; the layer gets copies of the input and output gradient. Marks:
   * 0 and 1 around F, 2 before I, 3 between I and W, 4 after W.
   */
  private static void measureRounds(
      Ops ops,
      Layer<?> layer,
      DeviceBatch data,
      Tensor input,
      SplittableRandom random,
      LayerMarks marks,
      int k,
      int rounds,
      int pass,
      Recorded into,
      CyclicBarrier together) {
    float[] outputGrad = null;
    List<Ops> lanes = List.of(ops);
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
        marks.mark(ops, 0);
        Tensor out = layer.forward(ops, j, x, data);
        marks.mark(ops, 1);
        marks.synchronize(lanes);
        f[j] = marks.elapsedNanos(0, 1);
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
        marks.mark(ops, 2);
        Tensor dx = layer.backwardInput(ops, j, dy);
        marks.mark(ops, 3);
        layer.backwardWeight(ops, j);
        marks.mark(ops, 4);
        marks.synchronize(lanes);
        i[j] = marks.elapsedNanos(2, 3);
        w[j] = marks.elapsedNanos(3, 4);
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
    } catch (BrokenBarrierException | TimeoutException e) {
      throw new IllegalStateException("a concurrent profiling worker stopped", e);
    }
  }
}
