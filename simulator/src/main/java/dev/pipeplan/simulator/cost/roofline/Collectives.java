package dev.pipeplan.simulator.cost.roofline;

import dev.pipeplan.models.BlockPart;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import java.util.Objects;

/**
 * Tensor-parallel collectives per layer and pass, as rings of α–β steps on the intra-node link (α =
 * the link's latency, β = its bandwidth):
 *
 * <pre>
 *   all-reduce       2(t−1)/t · bytes/β + 2(t−1)·α
 *   reduce-scatter   (t−1)/t · bytes/β + (t−1)·α       (all-gather the same)
 * </pre>
 *
 * <p>Megatron's f and g operators: a transformer block all-reduces its attention and its MLP output
 * in F, and the gradients of their inputs in I; with sequence parallelism each all-reduce becomes a
 * reduce-scatter after the row-parallel GEMM and an all-gather before the column-parallel one, the
 * same bytes in a ring. The vocabulary-parallel embedding all-reduces its output in F, the LM head
 * the gradient of its input in I. Without overlap each waits on the previous GEMM's output.
 *
 * <p>With Megatron's {@code --tp-comm-overlap} (Transformer Engine's userbuffers, with sequence
 * parallelism), each all-gather and reduce-scatter is split into t chunks that run under the chunks
 * of the GEMM beside it. An all-gather hides whole (the GEMM starts on the rank's own chunk while
 * the next arrives); a reduce-scatter leaves its last chunk exposed, after the GEMM's last chunk.
 * What stays exposed is that, half the collectives' 1/t, or whatever the layer's GEMMs cannot cover
 * ({@link #overlappedNanos}).
 */
public final class Collectives {
  private Collectives() {}

  public static double allReduceNanos(double bytes, int ranks, LinkSpec link) {
    Objects.requireNonNull(link, "link");
    if (ranks <= 1 || bytes <= 0) {
      return 0;
    }
    return 2.0 * (ranks - 1) / ranks * bytes / link.bandwidthBytesPerSecond() * 1e9
        + 2.0 * (ranks - 1) * link.latencyNanos();
  }

  /** A reduce-scatter, or an all-gather: half an all-reduce. */
  public static double reduceScatterNanos(double bytes, int ranks, LinkSpec link) {
    Objects.requireNonNull(link, "link");
    if (ranks <= 1 || bytes <= 0) {
      return 0;
    }
    return (double) (ranks - 1) / ranks * bytes / link.bandwidthBytesPerSecond() * 1e9
        + (double) (ranks - 1) * link.latencyNanos();
  }

  /**
   * What is left of a layer's collectives when they are split into t chunks that run under its
   * GEMMs: {@code max(collectives − gemms, collectives / 2t)}.
   *
   * @param collectivesNanos the layer's collectives in one pass, unhidden
   * @param gemmNanos the layer's GEMMs in that pass
   */
  public static double overlappedNanos(
      double collectivesNanos, double gemmNanos, int tensorParallel) {
    if (tensorParallel <= 1 || collectivesNanos <= 0) {
      return Math.max(0, collectivesNanos);
    }
    return Math.max(collectivesNanos - gemmNanos, collectivesNanos / (2.0 * tensorParallel));
  }

  /**
   * A layer's tensor-parallel collectives in one pass over a micro-batch of b samples.
   *
   * @param bytesPerElement the training dtype's size (the LM head's input gradient)
   */
  public static double tensorParallelNanos(
      LayerSpec layer,
      Pass pass,
      int microBatchSize,
      int tensorParallel,
      int bytesPerElement,
      boolean sequenceParallel,
      LinkSpec link) {
    return tensorParallelNanos(
        layer, pass, microBatchSize, tensorParallel, 1, bytesPerElement, sequenceParallel, link);
  }

  /**
   * {@link #tensorParallelNanos(LayerSpec, Pass, int, int, int, boolean, LinkSpec)} on one rank of
   * a context-parallel group of cp ranks, whose residual stream is its s/cp tokens.
   */
  public static double tensorParallelNanos(
      LayerSpec layer,
      Pass pass,
      int microBatchSize,
      int tensorParallel,
      int contextParallel,
      int bytesPerElement,
      boolean sequenceParallel,
      LinkSpec link) {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(pass, "pass");
    if (tensorParallel <= 1) {
      return 0;
    }
    double activation = (double) layer.outputBytes() * microBatchSize;
    int collectives =
        switch (layer.kind()) {
          case TRANSFORMER_BLOCK -> blockCollectives(layer, pass);
          case EMBEDDING -> pass == Pass.FORWARD ? 1 : 0;
          case LM_HEAD -> pass == Pass.BACKWARD_INPUT ? 1 : 0;
          case MLP, LINEAR, CONV, POOL, NORM, OTHER -> 0;
        };
    if (collectives == 0) {
      return 0;
    }
    if (layer.shape() instanceof LayerShape.TransformerBlock block
        && block.seq().isPresent()
        && block.hidden().isPresent()) {
      // The residual stream, whatever a piece of a block passes on beside it.
      activation =
          (double) block.seq().getAsLong()
              * block.hidden().getAsLong()
              * bytesPerElement
              * microBatchSize;
    }
    if (layer.shape() instanceof LayerShape.LmHead head) {
      // The head's output is a loss; what it reduces is the gradient of its input, s × h.
      activation =
          (double) head.seq().orElse(0)
              * head.hidden().orElse(0)
              * bytesPerElement
              * microBatchSize;
    }
    activation /= contextParallel;
    double one =
        sequenceParallel
            ? 2 * reduceScatterNanos(activation, tensorParallel, link)
            : allReduceNanos(activation, tensorParallel, link);
    return collectives * one;
  }

  /**
   * A block's context-parallel exchange of keys and values in one pass over a micro-batch, as
   * Megatron-Core's default ring ({@code --cp-comm-type p2p}, Transformer Engine's attention) runs
   * it: in F each rank passes its s/cp tokens' keys and values around the ring of cp ranks, cp − 1
   * hops of {@code b·(s/cp)·2·g/t·d·e} bytes; in I the keys and values go round again with their
   * gradients, twice the bytes. W has none. Each hop is one point-to-point transfer on {@code link}
   * (the node's link when the group fits in a node, else the network), unhidden: {@link
   * #contextParallelExposedNanos} takes off what the attention core covers.
   *
   * @param bytesPerElement the training dtype's size
   */
  public static double contextParallelNanos(
      LayerSpec layer,
      Pass pass,
      int microBatchSize,
      int tensorParallel,
      int contextParallel,
      int bytesPerElement,
      LinkSpec link) {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(pass, "pass");
    Objects.requireNonNull(link, "link");
    if (contextParallel <= 1
        || pass == Pass.BACKWARD_WEIGHT
        || !(layer.shape() instanceof LayerShape.TransformerBlock block)
        || !block.blockPart().has(BlockPart.Step.ATTENTION_CORE)
        || block.seq().isEmpty()
        || block.kvHeads().isEmpty()
        || block.effectiveHeadDim().isEmpty()) {
      return 0;
    }
    long d = block.effectiveHeadDim().getAsLong();
    long kvPerRank = (block.kvHeads().getAsLong() + tensorParallel - 1) / tensorParallel;
    long rankSeq = (block.seq().getAsLong() + contextParallel - 1) / contextParallel;
    long hop = microBatchSize * rankSeq * 2 * kvPerRank * d * bytesPerElement;
    if (pass == Pass.BACKWARD_INPUT) {
      hop *= 2;
    }
    return (double) (contextParallel - 1) * link.transferNanos(hop);
  }

  /**
   * What the ring of {@link #contextParallelNanos} leaves exposed: each hop runs under the
   * attention core's step on the chunk already there, so of the cp steps' transfers only what
   * exceeds the core's (cp − 1)/cp shows.
   *
   * @param exchangeNanos the pass's key/value exchange, unhidden
   * @param attentionNanos the pass's attention core on this rank
   */
  public static double contextParallelExposedNanos(
      double exchangeNanos, double attentionNanos, int contextParallel) {
    if (contextParallel <= 1 || exchangeNanos <= 0) {
      return 0;
    }
    return Math.max(0, exchangeNanos - attentionNanos * (contextParallel - 1) / contextParallel);
  }

  /**
   * Megatron's f/g all-reduces of a block in one pass: in F one after the attention's output
   * projection and one after the MLP's down projection, in I one at the input of the QKV projection
   * and one at the input of the MLP's up projection; a sub-layer partition's piece has those of the
   * steps it runs ({@link BlockPart}).
   */
  public static int blockCollectives(LayerSpec layer, Pass pass) {
    BlockPart part =
        layer.shape() instanceof LayerShape.TransformerBlock block
            ? block.blockPart()
            : BlockPart.WHOLE;
    return switch (pass) {
      case FORWARD ->
          (part.has(BlockPart.Step.ATTENTION_OUT) ? 1 : 0)
              + (part.has(BlockPart.Step.MLP_OUT) ? 1 : 0);
      case BACKWARD_INPUT ->
          (part.has(BlockPart.Step.ATTENTION_IN) ? 1 : 0)
              + (part.has(BlockPart.Step.MLP_IN) ? 1 : 0);
      case BACKWARD_WEIGHT -> 0;
    };
  }
}
