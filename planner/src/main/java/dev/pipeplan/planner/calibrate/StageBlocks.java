package dev.pipeplan.planner.calibrate;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How a measured run split its transformer blocks over the pipeline's chunks (p·v of them), as the
 * engine that ran it does: the layers before the first block (the embedding) join the first chunk,
 * those after the last block (final norm, head) the last chunk. A run without a rule is planned
 * with pipeplan's own partition.
 */
public sealed interface StageBlocks {

  /**
   * Equal blocks per chunk, the first chunks taking one more when they do not divide (DeepSpeed's
   * {@code type:transformer} partitioning).
   */
  record Even() implements StageBlocks {}

  /**
   * Equal blocks per chunk, and only that: Megatron-LM and Megatron-Core refuse a pipeline whose
   * p·v chunks do not divide the blocks (without their explicit uneven-split options), so a chunk
   * count that does not divide them is not a configuration the run could have had.
   */
  record Equal() implements StageBlocks {}

  /**
   * As {@link Even} over two more blocks than the model has, then the first and last chunk one
   * block fewer: the Llama 3 405B run's split (Dubey et al. 2024, §3.3.2), which makes room for the
   * embedding and the head (with one block per chunk, the first chunk holds only the embedding and
   * the last only the head, as that run did), and DeepSpeed's {@code type:transformer|embedding}.
   */
  record LighterEnds() implements StageBlocks {}

  /** The blocks of each chunk, as published. */
  record Explicit(List<Integer> blocks) implements StageBlocks {
    public Explicit {
      blocks = List.copyOf(Objects.requireNonNull(blocks, "blocks"));
    }
  }

  /** "even", "equal", "lighter-ends" or a comma-separated list of block counts. */
  static StageBlocks parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("even")) {
      return new Even();
    }
    if (t.equals("equal")) {
      return new Equal();
    }
    if (t.equals("lighter-ends")) {
      return new LighterEnds();
    }
    List<Integer> counts = new ArrayList<>();
    for (String part : t.split(",")) {
      try {
        counts.add(Integer.parseInt(part.trim()));
      } catch (NumberFormatException e) {
        throw new BadInputException(
            "'"
                + text
                + "' is not a block split; use even, equal, lighter-ends or block counts such as"
                + " 7,8,8,7");
      }
    }
    return new Explicit(counts);
  }

  /**
   * The partition of {@code model}'s layers into {@code chunks} chunks under this rule.
   *
   * @throws BadInputException when the rule leaves a chunk empty or its counts do not add up
   */
  default Partition partition(ModelSpec model, int chunks) {
    int first = -1;
    int last = -1;
    for (int i = 0; i < model.layerCount(); i++) {
      if (model.layer(i).kind() == LayerKind.TRANSFORMER_BLOCK) {
        first = first < 0 ? i : first;
        last = i;
      }
    }
    if (first < 0) {
      throw new BadInputException(
          "model " + model.name() + " has no transformer blocks to split by a block rule");
    }
    int blocks = last - first + 1;
    int[] perChunk = new int[chunks];
    if (this instanceof Explicit x) {
      if (x.blocks().size() != chunks) {
        throw new BadInputException(
            "the split gives "
                + x.blocks().size()
                + " chunks but the pipeline has "
                + chunks
                + " (pp × v)");
      }
      for (int c = 0; c < chunks; c++) {
        perChunk[c] = x.blocks().get(c);
      }
    } else if (this instanceof Equal && blocks % chunks != 0) {
      throw new BadInputException(
          "an equal split needs the "
              + blocks
              + " blocks of model "
              + model.name()
              + " to divide evenly over the "
              + chunks
              + " chunks (pp × v), as Megatron-LM requires");
    } else if (this instanceof LighterEnds && chunks >= 2) {
      spread(perChunk, blocks + 2);
      perChunk[0]--;
      perChunk[chunks - 1]--;
    } else {
      spread(perChunk, blocks);
    }
    int sum = 0;
    List<Integer> counts = new ArrayList<>();
    for (int c = 0; c < chunks; c++) {
      int layers =
          perChunk[c]
              + (c == 0 ? first : 0)
              + (c == chunks - 1 ? model.layerCount() - 1 - last : 0);
      // An end chunk may hold only the embedding or only the head (Llama 3 405B's first and last
      // chunks, Dubey et al. 2024, section 3.3.2); every other chunk needs a block.
      if (perChunk[c] < 0 || layers < 1) {
        throw new BadInputException(
            "the block split leaves chunk " + c + " of " + chunks + " without a layer");
      }
      sum += perChunk[c];
      counts.add(layers);
    }
    if (sum != blocks) {
      throw new BadInputException(
          "the block split has " + sum + " blocks but model " + model.name() + " has " + blocks);
    }
    return new Partition(counts);
  }

  private static void spread(int[] perChunk, int blocks) {
    int chunks = perChunk.length;
    for (int c = 0; c < chunks; c++) {
      perChunk[c] = blocks / chunks + (c < blocks % chunks ? 1 : 0);
    }
  }
}
