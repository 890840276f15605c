package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A two-layer perceptron on rows of {@code in} features: {@code y = gelu(x W1 + b1) W2 + b2}, both
 * maps with a bias. As a model's first layer (no input) it reads normal(0, 1) features drawn, row
 * by row, from the micro-batch's {@link DeviceBatch#featureSeed()}. F keeps its own copy of the
 * input, which W needs, so the caller frees the input as after any other layer.
 */
public final class MlpLayer extends Layer<MlpLayer.State> {
  private final int inFeatures;
  private final int hiddenFeatures;
  private final Parts.Linear up;
  private final Parts.Linear down;

  /** Weights are drawn from {@code random} in the order up, down, as the CPU executor's MLP. */
  public MlpLayer(
      Ops ops,
      String name,
      int inFeatures,
      int hiddenFeatures,
      int outFeatures,
      SplittableRandom random) {
    super(name);
    this.inFeatures = inFeatures;
    this.hiddenFeatures = hiddenFeatures;
    this.up = new Parts.Linear(ops, name + ".up", inFeatures, hiddenFeatures, true, random);
    this.down = new Parts.Linear(ops, name + ".down", hiddenFeatures, outFeatures, true, random);
  }

  static final class State {
    int rows;
    Tensor input;
    Tensor preActivation;
    Tensor activation;
    Tensor outputGrad;
    Tensor preActivationGrad;
  }

  @Override
  protected State newState() {
    return new State();
  }

  @Override
  protected Tensor computeForward(Ops ops, State s, Tensor input, DeviceBatch data) {
    s.rows = data.rows();
    long inputLength = (long) s.rows * inFeatures;
    if (input == null) {
      s.input =
          ops.upload(Parts.normal(new SplittableRandom(data.featureSeed()), 1.0, inputLength));
    } else {
      if (input.length() != inputLength) {
        throw new IllegalArgumentException(
            "layer "
                + name()
                + ": input of "
                + input.length()
                + " values, expected "
                + s.rows
                + " rows x "
                + inFeatures
                + " features");
      }
      s.input = ops.alloc(inputLength);
      ops.copy(input, s.input);
    }
    s.preActivation = up.forward(ops, s.input, s.rows);
    long inner = (long) s.rows * hiddenFeatures;
    s.activation = ops.alloc(inner);
    ops.launch(Kernel.GELU_FORWARD, inner, s.preActivation, s.activation, inner);
    return down.forward(ops, s.activation, s.rows);
  }

  @Override
  protected Tensor computeBackwardInput(Ops ops, State s, Tensor outputGrad) {
    s.outputGrad = outputGrad;
    long inner = (long) s.rows * hiddenFeatures;
    s.preActivationGrad = down.inputGradient(ops, outputGrad, s.rows);
    ops.launch(Kernel.GELU_BACKWARD, inner, s.preActivation, s.preActivationGrad, inner);
    ops.free(s.preActivation);
    s.preActivation = null;
    return up.inputGradient(ops, s.preActivationGrad, s.rows);
  }

  @Override
  protected void computeBackwardWeight(Ops ops, State s) {
    down.accumulateWeightGradient(ops, s.activation, s.outputGrad, s.rows);
    up.accumulateWeightGradient(ops, s.input, s.preActivationGrad, s.rows);
    ops.free(s.input, s.activation, s.outputGrad, s.preActivationGrad);
  }

  @Override
  public List<Param> parameters() {
    List<Param> out = new ArrayList<>(4);
    up.addTo(out);
    down.addTo(out);
    return out;
  }
}
