package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * A language model whose output projection shares the token embedding's weights ({@code tied} in
 * the LM head's shape). On one stage the two layers share one table. On different stages the last
 * stage keeps a copy of the table, with its own gradient and optimizer state, and after the
 * backward the two stages all-reduce the table's gradient so that both copies take the same step
 * (Megatron's {@code _allreduce_word_embedding_grads}, DeepSpeed's {@code ReduceTiedGrads});
 * neither overlaps it with anything.
 *
 * <p>A head cut into vocabulary slices ({@link dev.pipeplan.models.SubLayers}) ties each slice to
 * the rows of the table it owns: a stage holding slices but not the embedding keeps a copy of those
 * rows.
 *
 * @param headIndices the tied LM head's layer, or its slices; empty for a model without one
 * @param sliceParameters each of those layers' rows of the table (vocabulary slice × hidden)
 * @param embeddingIndex the token embedding's layer (the first embedding layer), or -1
 * @param tableParameters vocabulary × hidden
 */
record TiedHead(
    int[] headIndices, long[] sliceParameters, int embeddingIndex, long tableParameters) {
  /** What {@code model} ties, if anything. */
  static TiedHead of(ModelSpec model) {
    int embedding = -1;
    for (int i = 0; i < model.layerCount() && embedding < 0; i++) {
      if (model.layer(i).kind() == LayerKind.EMBEDDING) {
        embedding = i;
      }
    }
    List<Integer> heads = new ArrayList<>();
    List<Long> rows = new ArrayList<>();
    for (int i = model.layerCount() - 1; i >= 0; i--) {
      LayerSpec layer = model.layer(i);
      if (layer.shape() instanceof LayerShape.LmHead head) {
        if (head.tied().orElse(0) != 1L
            || head.vocab().isEmpty()
            || head.hidden().isEmpty()
            || embedding < 0) {
          break;
        }
        heads.add(0, i);
        rows.add(0, Math.multiplyExact(head.vocab().getAsLong(), head.hidden().getAsLong()));
        // A whole head, or the first slice: the head ends here.
        if (head.holdsNorm()) {
          break;
        }
      } else if (!heads.isEmpty()) {
        break;
      }
    }
    if (heads.isEmpty()) {
      return new TiedHead(new int[0], new long[0], -1, 0);
    }
    long table = 0;
    for (long r : rows) {
      table = Math.addExact(table, r);
    }
    return new TiedHead(
        heads.stream().mapToInt(Integer::intValue).toArray(),
        rows.stream().mapToLong(Long::longValue).toArray(),
        embedding,
        table);
  }

  /** The first layer of the tied head, or -1 for a model without one. */
  int headIndex() {
    return headIndices.length == 0 ? -1 : headIndices[0];
  }

  /**
   * The parameters of the table's copy held by layers [first, end): the rows of the tied head's
   * layers among them when they do not hold the embedding, else 0.
   */
  long copyParameters(int first, int end) {
    if (embeddingIndex >= first && embeddingIndex < end) {
      return 0;
    }
    long copy = 0;
    for (int j = 0; j < headIndices.length; j++) {
      if (headIndices[j] >= first && headIndices[j] < end) {
        copy += sliceParameters[j];
      }
    }
    return copy;
  }
}
