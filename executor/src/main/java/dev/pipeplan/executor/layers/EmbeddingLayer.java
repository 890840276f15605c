package dev.pipeplan.executor.layers;

import dev.pipeplan.models.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterAdd;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Token embedding plus learned positions: row r of the output is {@code tokens[token r] +
 * positions[r mod seq]}. Its input is the micro-batch's token ids, so it has no input gradient; I
 * only keeps the output gradient for W.
 */
public final class EmbeddingLayer extends ExecutableLayer<EmbeddingLayer.State> {
  private final int vocab;
  private final int positionCount;
  private final Parameter tokenTable;
  private final Parameter positionTable;

  public EmbeddingLayer(
      String name,
      int vocab,
      int hidden,
      int positions,
      SplittableRandom random,
      DataType dataType) {
    super(name, dataType);
    this.vocab = vocab;
    this.positionCount = positions;
    this.tokenTable =
        Parameter.zerosLike(
            name + ".tokens", Tensors.normal(random, Tensors.INIT_STD, dataType, vocab, hidden));
    this.positionTable =
        Parameter.zerosLike(
            name + ".positions",
            Tensors.normal(random, Tensors.INIT_STD / 2, dataType, positions, hidden));
  }

  /** Token ids and, after I, the output gradient. */
  static final class State {
    final int[] tokens;
    final int samples;
    final int sequenceLength;
    INDArray outputGrad;

    State(int[] tokens, int samples, int sequenceLength) {
      this.tokens = tokens;
      this.samples = samples;
      this.sequenceLength = sequenceLength;
    }
  }

  @Override
  protected Forward<State> computeForward(INDArray input, MicroBatch data) {
    if (data.sequenceLength() > positionCount) {
      throw new BadInputException(
          "layer "
              + name()
              + ": sequence length "
              + data.sequenceLength()
              + " exceeds its "
              + positionCount
              + " positions");
    }
    for (int t : data.tokens()) {
      if (t < 0 || t >= vocab) {
        throw new BadInputException(
            "layer " + name() + ": token id " + t + " is outside 0.." + (vocab - 1));
      }
    }
    long hidden = tokenTable.value().columns();
    INDArray rows = Nd4j.pullRows(tokenTable.value(), 1, data.tokens());
    INDArray positions =
        positionTable
            .value()
            .get(NDArrayIndex.interval(0, data.sequenceLength()), NDArrayIndex.all());
    INDArray out =
        rows.reshape(data.samples(), data.sequenceLength(), hidden)
            .addi(positions)
            .reshape(data.rows(), hidden);
    return new Forward<>(
        out, new State(data.tokens().clone(), data.samples(), data.sequenceLength()));
  }

  @Override
  protected INDArray computeBackwardInput(State state, INDArray outputGrad) {
    state.outputGrad = outputGrad;
    return null;
  }

  @Override
  protected void computeBackwardWeight(State state) {
    INDArray dy = state.outputGrad;
    // one scatter-add of all rows; repeated tokens add up
    INDArray grad = tokenTable.gradient();
    ScatterAdd scatter = new ScatterAdd(grad, Nd4j.createFromArray(state.tokens), dy);
    scatter.addOutputArgument(grad);
    Nd4j.exec(scatter);
    long hidden = dy.columns();
    INDArray positionGrad = dy.reshape(state.samples, state.sequenceLength, hidden).sum(0);
    positionTable
        .gradient()
        .get(NDArrayIndex.interval(0, state.sequenceLength), NDArrayIndex.all())
        .addi(positionGrad);
    Tensors.release(positionGrad, dy);
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>(2);
    out.add(tokenTable);
    out.add(positionTable);
    return out;
  }
}
