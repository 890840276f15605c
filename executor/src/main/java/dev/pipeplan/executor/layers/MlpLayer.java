package dev.pipeplan.executor.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A two-layer perceptron, {@code y = gelu(x W1 + b1) W2 + b2}, on rows of {@code in} features. When
 * it is the model's first layer it reads seeded random features of the micro-batch (see {@link
 * MicroBatch#featureSeed()}).
 */
public final class MlpLayer extends ExecutableLayer<MlpLayer.State> {
  private final int inFeatures;
  private final Linear up;
  private final Linear down;

  public MlpLayer(
      String name,
      int inFeatures,
      int hidden,
      int outFeatures,
      SplittableRandom random,
      DataType dataType) {
    super(name, dataType);
    this.inFeatures = inFeatures;
    this.up =
        new Linear(name + ".up", inFeatures, hidden, true, random, Tensors.INIT_STD, dataType);
    this.down =
        new Linear(name + ".down", hidden, outFeatures, true, random, Tensors.INIT_STD, dataType);
  }

  static final class State {
    INDArray input;
    INDArray preActivation;
    INDArray activation;
    INDArray outputGrad;
    INDArray preActivationGrad;
  }

  @Override
  public boolean retainsInput() {
    return true;
  }

  @Override
  protected Forward<State> computeForward(INDArray input, MicroBatch data) {
    State s = new State();
    s.input =
        input != null
            ? input
            : Tensors.normal(
                new SplittableRandom(data.featureSeed()), 1.0, dataType(), data.rows(), inFeatures);
    s.preActivation = up.forward(s.input);
    s.activation = Tensors.gelu(s.preActivation);
    return new Forward<>(down.forward(s.activation), s);
  }

  @Override
  protected INDArray computeBackwardInput(State s, INDArray outputGrad) {
    s.outputGrad = outputGrad;
    INDArray geluGrad = Tensors.geluDerivative(s.preActivation);
    s.preActivationGrad = down.inputGradient(outputGrad).muli(geluGrad);
    Tensors.release(geluGrad, s.preActivation);
    s.preActivation = null;
    return up.inputGradient(s.preActivationGrad);
  }

  @Override
  protected void computeBackwardWeight(State s) {
    down.accumulateWeightGradient(s.activation, s.outputGrad);
    up.accumulateWeightGradient(s.input, s.preActivationGrad);
    Tensors.release(s.input, s.activation, s.outputGrad, s.preActivationGrad);
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>(4);
    up.addParameters(out);
    down.addParameters(out);
    return out;
  }
}
