package dev.pipeplan.executor.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Central finite differences in double precision against a layer's I and W. The objective is {@code
 * sum(forward(x) * r)} for a fixed random {@code r} (so the output gradient is {@code r}), or the
 * loss itself for a loss layer. A sample of entries of each tensor is checked.
 */
final class GradientCheck {
  static final double STEP = 1e-5;
  static final double ABS_TOL = 1e-8;
  static final double REL_TOL = 1e-5;
  private static final int ENTRIES_PER_TENSOR = 12;

  private final ExecutableLayer<?> layer;
  private final MicroBatch data;
  private final INDArray input;
  private final INDArray outputWeights;
  private final SplittableRandom random;

  GradientCheck(
      ExecutableLayer<?> layer, MicroBatch data, INDArray input, long outputColumns, long seed) {
    this.layer = layer;
    this.data = data;
    this.input = input;
    this.random = new SplittableRandom(seed);
    this.outputWeights =
        layer.isLoss()
            ? null
            : Tensors.normal(random, 1.0, DataType.DOUBLE, data.rows(), outputColumns);
  }

  static MicroBatch tokens(int samples, int seq, int vocab, long lossTerms, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] tokens = new int[samples * seq];
    int[] labels = new int[samples * seq];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = r.nextInt(vocab);
      labels[i] = r.nextInt(vocab);
    }
    return new MicroBatch(samples, seq, tokens, labels, lossTerms, seed);
  }

  private double objective() {
    INDArray out = layer.forward(1, input == null ? null : input.dup(), data);
    layer.discard(1);
    return layer.isLoss() ? out.getDouble(0) : out.mul(outputWeights).sumNumber().doubleValue();
  }

  /** Runs F, I, W once and checks the input gradient and every parameter's gradient. */
  void verify() {
    layer.zeroGradients();
    layer.forward(0, input == null ? null : input.dup(), data);
    INDArray inputGrad = layer.backwardInput(0, outputWeights == null ? null : outputWeights.dup());
    layer.backwardWeight(0);
    assertThat(layer.heldMicroBatches()).isZero();
    if (input != null) {
      assertThat(inputGrad).isNotNull();
      check("input", input, inputGrad);
    }
    for (Parameter p : layer.parameters()) {
      check(p.name(), p.value(), p.gradient());
    }
  }

  private void check(String name, INDArray tensor, INDArray analytic) {
    assertThat(analytic.shape()).as(name + " gradient shape").isEqualTo(tensor.shape());
    INDArray flat = tensor.reshape(tensor.length());
    INDArray flatGrad = analytic.dup('c').reshape(analytic.length());
    assertThat(flat.isView() || flat == tensor || flat.data() == tensor.data())
        .as("tensor must be reshaped as a view")
        .isTrue();
    for (int n = 0; n < ENTRIES_PER_TENSOR; n++) {
      long i = random.nextLong(tensor.length());
      double original = flat.getDouble(i);
      flat.putScalar(i, original + STEP);
      double plus = objective();
      flat.putScalar(i, original - STEP);
      double minus = objective();
      flat.putScalar(i, original);
      double numeric = (plus - minus) / (2 * STEP);
      double exact = flatGrad.getDouble(i);
      assertThat(Math.abs(exact - numeric))
          .as("%s[%d] of %s: analytic %s, numeric %s", name, i, layer.name(), exact, numeric)
          .isLessThanOrEqualTo(ABS_TOL + REL_TOL * Math.abs(numeric));
    }
  }
}
