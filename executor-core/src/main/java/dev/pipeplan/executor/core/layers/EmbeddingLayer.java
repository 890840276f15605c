package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import dev.pipeplan.models.BadInputException;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Token plus learned position embedding: row r is {@code tokens[id r] + positions[r mod seq]}; a
 * rotary model's embedding (no positions: its blocks rotate queries and keys instead) is the token
 * row alone. No input gradient.
 */
public final class EmbeddingLayer extends Layer<EmbeddingLayer.State> {
  private final int hidden;
  private final int positions;
  private final Param tokenTable;
  private final Param positionTable;

  /**
   * An embedding of {@code vocab} tokens and {@code positions} learned positions (0: none, a rotary
   * model's). The token table is drawn first, then the position table.
   */
  public EmbeddingLayer(
      Ops ops, String name, int vocab, int hidden, int positions, SplittableRandom random) {
    super(name);
    this.hidden = hidden;
    this.positions = positions;
    this.tokenTable =
        new Param(
            name + ".tokens", ops, Parts.normal(random, Parts.INIT_STD, (long) vocab * hidden));
    if (positions < 0) {
      throw new BadInputException(
          "layer " + name + ": positions must be >= 0 (0: none), got " + positions);
    }
    this.positionTable =
        positions == 0
            ? null
            : new Param(
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
    if (positionTable != null && data.sequenceLength() > positions) {
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
    if (positionTable == null) {
      ops.launch(
          Kernel.TOKEN_EMBEDDING_FORWARD,
          (long) data.rows() * hidden,
          data.tokens(),
          tokenTable.value(),
          out,
          data.rows(),
          hidden);
      return out;
    }
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
    if (positionTable == null) {
      ops.launch(
          Kernel.TOKEN_EMBEDDING_BACKWARD,
          (long) s.data.rows() * hidden,
          s.data.tokens(),
          s.outputGrad,
          tokenTable.gradient(),
          s.data.rows(),
          hidden);
      ops.free(s.outputGrad);
      return;
    }
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
    return positionTable == null ? List.of(tokenTable) : List.of(tokenTable, positionTable);
  }
}
