package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The building blocks of the layers: seeded initial values, an affine map and the two norms (layer
 * norm and RMSNorm).
 */
final class Parts {
  /** GPT-2's initialisation standard deviation, as the CPU executor uses. */
  static final double INIT_STD = 0.02;

  static final float LAYER_NORM_EPS = 1e-5f;

  private Parts() {}

  static float[] normal(SplittableRandom random, double std, long n) {
    float[] v = new float[Math.toIntExact(n)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (random.nextGaussian() * std);
    }
    return v;
  }

  static float[] filled(long n, float value) {
    float[] v = new float[Math.toIntExact(n)];
    Arrays.fill(v, value);
    return v;
  }

  /** {@code y = x W + b}, W stored [in, out] row-major, as the CPU executor's Linear. */
  static final class Linear {
    final int in;
    final int out;
    final Param weight;
    final Param bias;

    Linear(Ops ops, String name, int in, int out, boolean withBias, SplittableRandom random) {
      this.in = in;
      this.out = out;
      this.weight = new Param(name + ".weight", ops, normal(random, INIT_STD, (long) in * out));
      this.bias = withBias ? new Param(name + ".bias", ops, new float[out]) : null;
    }

    Tensor forward(Ops ops, Tensor x, int rows) {
      Tensor y = ops.alloc((long) rows * out);
      ops.matmul(false, false, rows, out, in, x, weight.value(), 0f, y);
      if (bias != null) {
        ops.launch(Kernel.ADD_BIAS, (long) rows * out, y, bias.value(), rows, out);
      }
      return y;
    }

    /** dx (=, or += with beta 1) dy W^T. */
    void inputGradient(Ops ops, Tensor dy, int rows, Tensor dx, float beta) {
      ops.matmul(false, true, rows, in, out, dy, weight.value(), beta, dx);
    }

    Tensor inputGradient(Ops ops, Tensor dy, int rows) {
      Tensor dx = ops.alloc((long) rows * in);
      inputGradient(ops, dy, rows, dx, 0f);
      return dx;
    }

    void accumulateWeightGradient(Ops ops, Tensor x, Tensor dy, int rows) {
      ops.matmul(true, false, in, out, rows, x, dy, 1f, weight.gradient());
      if (bias != null) {
        ops.launch(Kernel.ADD_COLUMN_SUMS, out, dy, bias.gradient(), rows, out);
      }
    }

    void addTo(List<Param> params) {
      params.add(weight);
      if (bias != null) {
        params.add(bias);
      }
    }
  }

  /**
   * A norm over rows: F returns {@code {y, normalized, rstd}}, I needs the normalized rows and the
   * reciprocal deviations, W the output gradient and the normalized rows.
   */
  interface Norm {
    int features();

    /** Returns {y, normalized, rstd}. */
    Tensor[] forward(Ops ops, Tensor x, int rows);

    /** dx (= or += when accumulate) the input gradient. */
    void inputGradient(
        Ops ops,
        Tensor dy,
        Tensor normalized,
        Tensor rstd,
        Tensor dx,
        int rows,
        boolean accumulate);

    void accumulateWeightGradient(Ops ops, Tensor dy, Tensor normalized, int rows);

    void addTo(List<Param> params);

    /** A norm of {@code kind} over rows of {@code features}. */
    static Norm of(NormKind kind, Ops ops, String name, int features) {
      return switch (kind) {
        case LAYER -> new LayerNorm(ops, name, features);
        case RMS -> new RmsNorm(ops, name, features);
      };
    }
  }

  /** Layer norm over rows with gain and shift. */
  static final class LayerNorm implements Norm {
    final int features;
    final Param gain;
    final Param shift;

    LayerNorm(Ops ops, String name, int features) {
      this.features = features;
      this.gain = new Param(name + ".gain", ops, filled(features, 1f));
      this.shift = new Param(name + ".shift", ops, new float[features]);
    }

    @Override
    public int features() {
      return features;
    }

    @Override
    public Tensor[] forward(Ops ops, Tensor x, int rows) {
      Tensor normalized = ops.alloc((long) rows * features);
      Tensor rstd = ops.alloc(rows);
      Tensor y = ops.alloc((long) rows * features);
      ops.launch(
          Kernel.LAYERNORM_FORWARD,
          rows,
          x,
          gain.value(),
          shift.value(),
          normalized,
          rstd,
          y,
          rows,
          features,
          LAYER_NORM_EPS);
      return new Tensor[] {y, normalized, rstd};
    }

    @Override
    public void inputGradient(
        Ops ops,
        Tensor dy,
        Tensor normalized,
        Tensor rstd,
        Tensor dx,
        int rows,
        boolean accumulate) {
      ops.launch(
          Kernel.LAYERNORM_BACKWARD,
          rows,
          dy,
          gain.value(),
          normalized,
          rstd,
          dx,
          rows,
          features,
          accumulate ? 1 : 0);
    }

    @Override
    public void accumulateWeightGradient(Ops ops, Tensor dy, Tensor normalized, int rows) {
      ops.launch(
          Kernel.ADD_COLUMN_DOT_SUMS, features, dy, normalized, gain.gradient(), rows, features);
      ops.launch(Kernel.ADD_COLUMN_SUMS, features, dy, shift.gradient(), rows, features);
    }

    @Override
    public void addTo(List<Param> params) {
      params.add(gain);
      params.add(shift);
    }
  }

  /**
   * RMSNorm over rows with a gain (Llama): {@code y = x / sqrt(mean(x^2) + eps) * gain}, with the
   * layer norm's epsilon.
   */
  static final class RmsNorm implements Norm {
    final int features;
    final Param gain;

    RmsNorm(Ops ops, String name, int features) {
      this.features = features;
      this.gain = new Param(name + ".gain", ops, filled(features, 1f));
    }

    @Override
    public int features() {
      return features;
    }

    @Override
    public Tensor[] forward(Ops ops, Tensor x, int rows) {
      Tensor normalized = ops.alloc((long) rows * features);
      Tensor rstd = ops.alloc(rows);
      Tensor y = ops.alloc((long) rows * features);
      ops.launch(
          Kernel.RMSNORM_FORWARD,
          rows,
          x,
          gain.value(),
          normalized,
          rstd,
          y,
          rows,
          features,
          LAYER_NORM_EPS);
      return new Tensor[] {y, normalized, rstd};
    }

    @Override
    public void inputGradient(
        Ops ops,
        Tensor dy,
        Tensor normalized,
        Tensor rstd,
        Tensor dx,
        int rows,
        boolean accumulate) {
      ops.launch(
          Kernel.RMSNORM_BACKWARD,
          rows,
          dy,
          gain.value(),
          normalized,
          rstd,
          dx,
          rows,
          features,
          accumulate ? 1 : 0);
    }

    @Override
    public void accumulateWeightGradient(Ops ops, Tensor dy, Tensor normalized, int rows) {
      ops.launch(
          Kernel.ADD_COLUMN_DOT_SUMS, features, dy, normalized, gain.gradient(), rows, features);
    }

    @Override
    public void addTo(List<Param> params) {
      params.add(gain);
    }
  }
}
