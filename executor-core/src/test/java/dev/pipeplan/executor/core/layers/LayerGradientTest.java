package dev.pipeplan.executor.core.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every shared layer kind on {@link HostOps} (double precision) against central finite differences
 * of its own forward: the objective is {@code sum(output * R)} for a fixed random R, or the loss of
 * the LM head. Checks the input gradient (I) and every parameter's gradient (W), and that F, I and
 * W free everything but the parameters. The Llama family's cases (rotary embeddings, RMSNorms, q/k
 * norms) are checked at every entry, the others at their first, middle and last.
 */
class LayerGradientTest {
  private static final double STEP = 1e-5;

  @ParameterizedTest
  @EnumSource(LayerCase.class)
  void gradientsMatchFiniteDifferences(LayerCase c) {
    HostOps ops = new HostOps();
    Layer<?> layer = c.build(ops);
    DeviceBatch data = c.batch(ops);
    Tensor input = LayerCase.upload(ops, c.input());
    float[] r = c.outputGradient();

    Tensor out = layer.forward(ops, 0, input, data);
    discardLosses(ops, layer);
    Tensor dx = layer.backwardInput(ops, 0, LayerCase.upload(ops, r));
    layer.backwardWeight(ops, 0);
    assertThat(dx != null).as("input gradient returned").isEqualTo(c.hasInputGradient());
    double[] inputGrad = dx == null ? null : HostOps.values(dx).clone();
    List<double[]> paramGrads = new ArrayList<>();
    for (Param p : layer.parameters()) {
      paramGrads.add(HostOps.values(p.gradient()).clone());
    }
    ops.free(out, dx);
    assertThat(layer.heldMicroBatches()).isZero();

    for (int i = 0; i < paramGrads.size(); i++) {
      Param p = layer.parameters().get(i);
      checkEntries(
          c, p.name(), HostOps.values(p.value()), paramGrads.get(i), ops, layer, input, data, r);
    }
    if (input != null) {
      checkEntries(c, "input", HostOps.values(input), inputGrad, ops, layer, input, data, r);
    }

    ops.free(input);
    data.release(ops);
    assertThat(ops.liveTensors()).isEqualTo(2L * layer.parameters().size());
  }

  @Test
  void mlpComputesGeluOfTheFirstMapThroughTheSecond() {
    HostOps ops = new HostOps();
    MlpLayer layer = (MlpLayer) LayerCase.MLP.build(ops);
    DeviceBatch data = LayerCase.MLP.batch(ops);
    float[] x = LayerCase.MLP.input();
    Tensor out = layer.forward(ops, 0, ops.upload(x), data);
    List<Param> p = layer.parameters();
    double[] w1 = HostOps.values(p.get(0).value());
    double[] b1 = HostOps.values(p.get(1).value());
    double[] w2 = HostOps.values(p.get(2).value());
    double[] b2 = HostOps.values(p.get(3).value());
    int in = LayerCase.MLP_IN;
    int hidden = LayerCase.MLP_HIDDEN;
    int outWidth = LayerCase.MLP_OUT;
    double[] got = HostOps.values(out);
    for (int row = 0; row < LayerCase.ROWS; row++) {
      double[] h = new double[hidden];
      for (int j = 0; j < hidden; j++) {
        double u = b1[j];
        for (int f = 0; f < in; f++) {
          u += x[row * in + f] * w1[f * hidden + j];
        }
        // GELU, tanh form
        h[j] = 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)));
      }
      for (int o = 0; o < outWidth; o++) {
        double y = b2[o];
        for (int j = 0; j < hidden; j++) {
          y += h[j] * w2[j * outWidth + o];
        }
        assertThat(got[row * outWidth + o])
            .as("y[%d][%d]", row, o)
            .isCloseTo(y, Offset.offset(1e-12));
      }
    }
  }

  @Test
  void firstMlpReadsNormalFeaturesFromTheFeatureSeed() {
    HostOps ops = new HostOps();
    Layer<?> first = LayerCase.MLP_FIRST_LAYER.build(ops);
    Layer<?> fed = LayerCase.MLP_FIRST_LAYER.build(ops);
    DeviceBatch data = LayerCase.MLP_FIRST_LAYER.batch(ops);
    SplittableRandom features = new SplittableRandom(data.featureSeed());
    float[] x = new float[LayerCase.ROWS * LayerCase.MLP_IN];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) features.nextGaussian();
    }
    double[] fromSeed = HostOps.values(first.forward(ops, 0, null, data));
    double[] fromInput = HostOps.values(fed.forward(ops, 0, ops.upload(x), data));
    assertThat(fromSeed).containsExactly(fromInput);
  }

  @Test
  void mlpRejectsAnInputOfTheWrongWidth() {
    HostOps ops = new HostOps();
    Layer<?> layer = LayerCase.MLP.build(ops);
    DeviceBatch data = LayerCase.MLP.batch(ops);
    Tensor wrong = ops.zeros((long) LayerCase.ROWS * (LayerCase.MLP_IN + 1));
    assertThatThrownBy(() -> layer.forward(ops, 0, wrong, data))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("input of 36 values, expected 6 rows x 5 features");
  }

  /**
   * First, middle and last entry of {@code values} against central differences; every entry for the
   * Llama family's cases.
   */
  private static void checkEntries(
      LayerCase c,
      String name,
      double[] values,
      double[] analytic,
      Ops ops,
      Layer<?> layer,
      Tensor input,
      DeviceBatch data,
      float[] r) {
    boolean every =
        java.util.EnumSet.of(
                LayerCase.EMBEDDING_ROTARY,
                LayerCase.BLOCK_LLAMA,
                LayerCase.BLOCK_QWEN3,
                LayerCase.LM_HEAD_RMS)
            .contains(c);
    int[] entries =
        every
            ? java.util.stream.IntStream.range(0, values.length).toArray()
            : new int[] {0, values.length / 2, values.length - 1};
    for (int idx : entries) {
      double saved = values[idx];
      values[idx] = saved + STEP;
      double plus = objective(ops, layer, input, data, r);
      values[idx] = saved - STEP;
      double minus = objective(ops, layer, input, data, r);
      values[idx] = saved;
      double numeric = (plus - minus) / (2 * STEP);
      assertThat(analytic[idx])
          .as("d objective / d %s[%d]", name, idx)
          .isCloseTo(numeric, Offset.offset(1e-7 + 1e-5 * Math.abs(numeric)));
    }
  }

  /** The objective at the current values; runs I and W with a zero gradient to free the state. */
  private static double objective(
      Ops ops, Layer<?> layer, Tensor input, DeviceBatch data, float[] r) {
    Tensor out = layer.forward(ops, 1, input, data);
    double value = 0;
    if (out == null) {
      for (Tensor terms : ((LmHeadLayer) layer).takeAllLossTerms()) {
        value += ops.sum(terms);
        ops.free(terms);
      }
    } else {
      double[] y = HostOps.values(out);
      for (int i = 0; i < y.length; i++) {
        value += y[i] * r[i];
      }
    }
    Tensor dx = layer.backwardInput(ops, 1, out == null ? null : ops.zeros(out.length()));
    layer.backwardWeight(ops, 1);
    ops.free(out, dx);
    return value;
  }

  private static void discardLosses(Ops ops, Layer<?> layer) {
    if (layer instanceof LmHeadLayer) {
      for (Tensor terms : ((LmHeadLayer) layer).takeAllLossTerms()) {
        ops.free(terms);
      }
    }
  }
}
