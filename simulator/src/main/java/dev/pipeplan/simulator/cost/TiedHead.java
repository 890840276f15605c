package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;

/**
 * A language model whose output projection shares the token embedding's weights ({@code tied} in
 * the LM head's shape). On one stage the two layers share one table. On different stages the last
 * stage keeps a copy of the table, with its own gradient and optimizer state, and after the
 * backward the two stages all-reduce the table's gradient so that both copies take the same step
 * (Megatron's {@code _allreduce_word_embedding_grads}, DeepSpeed's {@code ReduceTiedGrads});
 * neither overlaps it with anything.
 *
 * @param headIndex the tied LM head's layer, or -1 for a model without one
 * @param embeddingIndex the token embedding's layer (the first embedding layer), or -1
 * @param tableParameters vocabulary × hidden
 */
record TiedHead(int headIndex, int embeddingIndex, long tableParameters) {
  /** What {@code model} ties, if anything. */
  static TiedHead of(ModelSpec model) {
    int embedding = -1;
    for (int i = 0; i < model.layerCount() && embedding < 0; i++) {
      if (model.layer(i).kind() == LayerKind.EMBEDDING) {
        embedding = i;
      }
    }
    for (int i = model.layerCount() - 1; i >= 0; i--) {
      LayerSpec layer = model.layer(i);
      if (layer.shape() instanceof LayerShape.LmHead head) {
        if (head.tied().orElse(0) == 1L
            && head.vocab().isPresent()
            && head.hidden().isPresent()
            && embedding >= 0) {
          return new TiedHead(
              i,
              embedding,
              Math.multiplyExact(head.vocab().getAsLong(), head.hidden().getAsLong()));
        }
        break;
      }
    }
    return new TiedHead(-1, -1, 0);
  }

  /**
   * The parameters of the table's copy held by layers [first, end): the table when they hold the
   * tied head but not the embedding, else 0.
   */
  long copyParameters(int first, int end) {
    boolean head = headIndex >= first && headIndex < end;
    boolean embedding = embeddingIndex >= first && embeddingIndex < end;
    return head && !embedding ? tableParameters : 0;
  }
}
