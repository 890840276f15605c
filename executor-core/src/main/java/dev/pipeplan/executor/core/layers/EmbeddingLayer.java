package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import dev.pipeplan.models.BadInputException;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Token plus learned position embedding: row r is {@code tokens[id r] + positions[r mod seq]}. No
 * input gradient.
 */
public final class EmbeddingLayer extends Layer<EmbeddingLayer.State> {
  private final int hidden;
  private final int positions;
  private final Param tokenTable;
  private final Param positionTable;

  public EmbeddingLayer(
      Ops ops, String name, int vocab, int hidden, int positions, SplittableRandom random) {
    super(name);
    this.hidden = hidden;
    this.positions = positions;
    this.tokenTable =
        new Param(
            name + ".tokens", ops, Parts.normal(random, Parts.INIT_STD, (long) vocab * hidden));
    this.positionTable =
        new Param(
            name + ".positions",
            ops,
            Parts.normal(random, Parts.INIT_STD / 2, (long) positions * hidden));
  }

  static final class State {
    DeviceBatch data;
    Tensor outputGrad;
  }

  @Override
  protected State newState() {
    return new State();
  }

  @Override
  protected Tensor computeForward(Ops ops, State s, Tensor input, DeviceBatch data) {
    if (data.sequenceLength() > positions) {
      throw new BadInputException(
          "layer "
              + name()
              + ": sequence length "
              + data.sequenceLength()
              + " exceeds its "
              + positions
              + " positions");
    }
    s.data = data;
    Tensor out = ops.alloc((long) data.rows() * hidden);
    ops.launch(
        Kernel.EMBEDDING_FORWARD,
        (long) data.rows() * hidden,
        data.tokens(),
        tokenTable.value(),
        positionTable.value(),
        out,
        data.rows(),
        hidden,
        data.sequenceLength());
    return out;
  }

  @Override
  protected Tensor computeBackwardInput(Ops ops, State s, Tensor outputGrad) {
    s.outputGrad = outputGrad;
    return null;
  }

  @Override
  protected void computeBackwardWeight(Ops ops, State s) {
    ops.launch(
        Kernel.EMBEDDING_BACKWARD,
        (long) s.data.rows() * hidden,
        s.data.tokens(),
        s.outputGrad,
        tokenTable.gradient(),
        positionTable.gradient(),
        s.data.rows(),
        hidden,
        s.data.sequenceLength());
    ops.free(s.outputGrad);
  }

  @Override
  public List<Param> parameters() {
    return List.of(tokenTable, positionTable);
  }
}
