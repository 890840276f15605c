package dev.pipeplan.executor.layers;

import dev.pipeplan.models.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Final layer norm, projection to the vocabulary and softmax cross-entropy against the labels. The
 * loss of a micro-batch is its summed token losses divided by the loss terms of the whole
 * iteration, so the micro-batch losses (and gradients) add up to the mean over the global batch.
 * The projection is never tied to the embedding here (see docs/design.md, "Executor").
 */
public final class LmHeadLayer extends ExecutableLayer<LmHeadLayer.State> {
  private final int vocab;
  private final LayerNorm norm;
  private final Linear projection;

  public LmHeadLayer(
      String name, int hidden, int vocab, SplittableRandom random, DataType dataType) {
    super(name, dataType);
    this.vocab = vocab;
    this.norm = new LayerNorm(name + ".norm", hidden, dataType);
    this.projection =
        new Linear(name + ".proj", hidden, vocab, false, random, Tensors.INIT_STD, dataType);
  }

  static final class State {
    LayerNorm.Saved norm;
    INDArray normalizedOut;
    INDArray logitsGrad;
    INDArray normOutGrad;
  }

  @Override
  public boolean isLoss() {
    return true;
  }

  @Override
  protected Forward<State> computeForward(INDArray input, MicroBatch data) {
    State s = new State();
    LayerNorm.Saved[] saved = new LayerNorm.Saved[1];
    s.normalizedOut = norm.forward(input, saved);
    s.norm = saved[0];
    INDArray logits = projection.forward(s.normalizedOut);
    INDArray probabilities = Tensors.softmaxLast(logits);
    Tensors.release(logits);
    int[] labels = data.labels();
    double scale = 1.0 / data.lossTerms();
    double loss = 0;
    for (int r = 0; r < labels.length; r++) {
      int label = labels[r];
      if (label < 0 || label >= vocab) {
        throw new BadInputException(
            "layer " + name() + ": label " + label + " is outside 0.." + (vocab - 1));
      }
      loss -= Math.log(Math.max(probabilities.getDouble(r, label), Double.MIN_NORMAL));
      probabilities.putScalar(r, label, probabilities.getDouble(r, label) - 1);
    }
    s.logitsGrad = probabilities.muli(scale);
    INDArray lossOut = Nd4j.zeros(dataType(), 1, 1).addi(loss * scale);
    return new Forward<>(lossOut, s);
  }

  @Override
  protected INDArray computeBackwardInput(State s, INDArray outputGrad) {
    s.normOutGrad = projection.inputGradient(s.logitsGrad);
    return norm.inputGradient(s.norm, s.normOutGrad);
  }

  @Override
  protected void computeBackwardWeight(State s) {
    projection.accumulateWeightGradient(s.normalizedOut, s.logitsGrad);
    norm.accumulateWeightGradient(s.norm, s.normOutGrad);
    Tensors.release(s.normalizedOut, s.logitsGrad, s.normOutGrad);
    LayerNorm.release(s.norm);
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>(3);
    norm.addParameters(out);
    projection.addParameters(out);
    return out;
  }
}
