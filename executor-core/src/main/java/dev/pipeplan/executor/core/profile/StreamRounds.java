package dev.pipeplan.executor.core.profile;

import dev.pipeplan.executor.core.layers.DeviceBatch;
import dev.pipeplan.executor.core.layers.Layer;
import dev.pipeplan.executor.core.layers.Layers;
import dev.pipeplan.executor.core.layers.LmHeadLayer;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.data.SyntheticTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The measuring loop of a backend whose ops are enqueued on streams (CUDA), issued from one thread:
 * times one layer's F, I and W at one micro-batch size on one of {@code n} streams while the other
 * {@code n - 1} streams run the same work on their own copies of the layer, the stream equivalent
 * of {@link WorkerRounds}' concurrent workers. The backend supplies the streams and {@link
 * LayerMarks} that record on them (CUDA events). The p stages of a run on one GPU share it, so a
 * layer timed alone is about p times too fast outside the bubbles; timed beside p - 1 busy streams
 * it takes what a stage gets of the shared GPU.
 *
 * <p>Each repetition starts with every stream idle. For each of F, I and W the other streams' work
 * is enqueued first and the timed stream's last, between two marks, so the timed work never runs on
 * an idle GPU. The timed stream goes round-robin over the repetitions (repetition r times stream r
 * mod n), so no stream's place in the issue order favours the median. With one stream this is the
 * plain measurement alone on the GPU.
 */
public final class StreamRounds {
  private StreamRounds() {}

  /** Checks a count of concurrent streams: at least 1. */
  public static int checkStreams(String field, int streams) {
    if (streams < 1) {
      throw new BadInputException(
          field
              + " must be >= 1, got "
              + streams
              + ". Maybe use the pipeline's device count p, the number of stages that share the GPU.");
    }
    return streams;
  }

  /**
   * Measures {@code copies.get(s)} on {@code streams.get(s)}, all at once.
   *
   * @param streams one per copy, distinct
   * @param copies the same layer built once per stream (own weights, own state)
   * @param seed seed of the synthetic tokens and activations, the same on every stream
   * @return the median F, I and W of the timed stream over {@code repeats} repetitions after {@code
   *     warmup}
   */
  public static MeasuredTimes measure(
      List<Ops> streams,
      List<Layer<?>> copies,
      LayerSpec spec,
      int b,
      int seq,
      int vocab,
      int warmup,
      int repeats,
      long seed,
      LayerMarks marks) {
    Objects.requireNonNull(marks, "marks");
    int n = checkStreams("concurrent streams", streams.size());
    if (copies.size() != n) {
      throw new IllegalArgumentException(copies.size() + " layer copies for " + n + " streams");
    }
    if (repeats < 1 || warmup < 0) {
      throw new BadInputException(
          "repeats must be >= 1 and warm-up >= 0, got " + repeats + " and " + warmup);
    }
    SyntheticTokens data = new SyntheticTokens(seed, vocab, seq, b);
    SyntheticTokens.Batch tl = data.samples(0, 0, b);
    long width = Layers.hidden(spec);
    List<DeviceBatch> batches = new ArrayList<>(n);
    List<Tensor> inputs = new ArrayList<>(n);
    List<Tensor> grads = new ArrayList<>(n);
    for (Ops ops : streams) {
      DeviceBatch batch =
          DeviceBatch.upload(
              ops, tl.tokens(), tl.labels(), b, seq, data.lossTerms(), tl.featureSeed());
      batches.add(batch);
      SplittableRandom r = new SplittableRandom(seed);
      inputs.add(
          spec.kind() == LayerKind.EMBEDDING
              ? null
              : ops.upload(randoms(r, 1.0, batch.rows() * width)));
      grads.add(
          spec.kind() == LayerKind.LM_HEAD
              ? null
              : ops.upload(randoms(r, 1e-3, batch.rows() * width)));
    }
    long[] f = new long[repeats];
    long[] i = new long[repeats];
    long[] w = new long[repeats];
    Tensor[] outs = new Tensor[n];
    Tensor[] dxs = new Tensor[n];
    for (int rep = 0; rep < warmup + repeats; rep++) {
      int timed = rep % n;
      marks.synchronize(streams);
      for (int phase = 0; phase < 3; phase++) {
        for (int k = 1; k <= n; k++) {
          // the timed stream last: the others are already busy when its work starts
          int s = (timed + k) % n;
          Ops ops = streams.get(s);
          if (s == timed && phase == 0) {
            marks.mark(ops, 0);
          }
          Layer<?> layer = copies.get(s);
          if (phase == 0) {
            outs[s] = layer.forward(ops, 0, inputs.get(s), batches.get(s));
          } else if (phase == 1) {
            Tensor dy = null;
            if (grads.get(s) != null) {
              dy = ops.alloc(grads.get(s).length());
              ops.copy(grads.get(s), dy);
            }
            dxs[s] = layer.backwardInput(ops, 0, dy);
          } else {
            layer.backwardWeight(ops, 0);
          }
          if (s == timed) {
            marks.mark(ops, phase + 1);
          }
        }
      }
      marks.synchronize(streams);
      for (int s = 0; s < n; s++) {
        Ops ops = streams.get(s);
        ops.free(outs[s], dxs[s]);
        outs[s] = null;
        dxs[s] = null;
        if (copies.get(s) instanceof LmHeadLayer) {
          for (Tensor t : ((LmHeadLayer) copies.get(s)).takeAllLossTerms()) {
            ops.free(t);
          }
        }
      }
      if (rep >= warmup) {
        f[rep - warmup] = marks.elapsedNanos(0, 1);
        i[rep - warmup] = marks.elapsedNanos(1, 2);
        w[rep - warmup] = marks.elapsedNanos(2, 3);
      }
    }
    for (int s = 0; s < n; s++) {
      Ops ops = streams.get(s);
      ops.free(inputs.get(s), grads.get(s));
      batches.get(s).release(ops);
    }
    marks.synchronize(streams);
    return new MeasuredTimes(b, LayerFits.median(f), LayerFits.median(i), LayerFits.median(w));
  }

  static float[] randoms(SplittableRandom r, double std, long n) {
    float[] v = new float[Math.toIntExact(n)];
    for (int k = 0; k < v.length; k++) {
      v[k] = (float) (r.nextGaussian() * std);
    }
    return v;
  }
}
