package dev.pipeplan.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A model cut into finer pieces for partitioning ({@code docs/design.md}, "Sub-layer partitions").
 * Whole layers leave a stage's share of the model a whole number of blocks, which cannot balance a
 * model whose block count the stage count does not divide, nor one whose LM head outweighs an
 * average stage; the pieces can.
 *
 * <ul>
 *   <li>{@link Unit#SUBLAYER}: each transformer block becomes its attention and its MLP sub-layer,
 *       cut after the attention's residual add, where only the residual stream (seq × hidden, the
 *       block's own output) crosses, as between whole blocks.
 *   <li>{@link Unit#STEP}: each block becomes its five steps ({@link BlockPart.Step}); a cut inside
 *       a sub-layer also carries that step's output (Q, K and V; the attention output; the MLP's
 *       activation) beside the residual stream.
 *   <li>Either way the LM head becomes vocabulary slices run one after another with an online
 *       softmax: a slice passes the normalised hidden state on together with three fp32 numbers per
 *       token (the running maximum, the running sum of exponentials and the target's logit, where
 *       the slice owns the target); the last slice has the whole log-sum-exp and computes the loss.
 *       The backward carries the log-sum-exp back with the gradient, so each slice forms its
 *       softmax gradient from its own saved logits. The first slice holds the final norm; every
 *       slice keeps its input for its weight gradient.
 * </ul>
 *
 * <p>Each piece keeps its share of the layer's FLOPs (F, I and W), parameters and saved activations
 * by the block's formulas ({@code TransformerLayers}), so the pieces sum to the layer. Layers
 * without the dimensions the formulas need, and any other kind, stay whole. Profiled layers
 * (measured times) cannot be cut: the measurements are of whole layers.
 */
public final class SubLayers {
  /** How finely blocks are cut. */
  public enum Unit {
    /** Attention and MLP sub-layers: two pieces per block. */
    SUBLAYER(List.of(BlockPart.ATTENTION, BlockPart.MLP)),
    /** The five steps of a block. */
    STEP(
        List.of(
            BlockPart.of(BlockPart.Step.ATTENTION_IN),
            BlockPart.of(BlockPart.Step.ATTENTION_CORE),
            BlockPart.of(BlockPart.Step.ATTENTION_OUT),
            BlockPart.of(BlockPart.Step.MLP_IN),
            BlockPart.of(BlockPart.Step.MLP_OUT)));

    private final List<BlockPart> parts;

    Unit(List<BlockPart> parts) {
      this.parts = parts;
    }

    /** The pieces of one block, in order. */
    public List<BlockPart> parts() {
      return parts;
    }
  }

  /** Per token: the running maximum, the running sum of exponentials, the target's logit. */
  static final long SLICE_STATISTICS_BYTES_PER_TOKEN = 3 * 4;

  /** At most this many vocabulary slices. */
  public static final int MAX_HEAD_SLICES = 64;

  private SubLayers() {}

  /**
   * The model with every fully described transformer block cut into {@code unit}'s pieces and its
   * LM head cut into {@code headSlices} vocabulary slices (1: the head stays whole).
   *
   * @throws BadInputException when {@code headSlices} is out of range or a layer to cut has
   *     measured times
   */
  public static ModelSpec split(ModelSpec model, Unit unit, int headSlices) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(unit, "unit");
    if (headSlices < 1 || headSlices > MAX_HEAD_SLICES) {
      throw new BadInputException(
          "LM head slices must be in 1.." + MAX_HEAD_SLICES + ", got " + headSlices);
    }
    List<LayerSpec> pieces = new ArrayList<>();
    for (LayerSpec layer : model.layers()) {
      if (splittableBlock(layer)) {
        requireAnalytic(layer);
        blockPieces(layer, unit.parts(), pieces);
      } else if (headSlices > 1 && splittableHead(layer)) {
        requireAnalytic(layer);
        headSlices(layer, headSlices, model.dtype(), pieces);
      } else {
        pieces.add(layer);
      }
    }
    return new ModelSpec(model.name(), pieces, model.dtype(), model.sequenceLength());
  }

  /** True when the model has a piece of a block or of the head (it was {@link #split}). */
  public static boolean hasPieces(ModelSpec model) {
    for (LayerSpec layer : model.layers()) {
      if (isPiece(layer)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The model's layers counted whole: a block's pieces count as one block, a head's slices as one
   * head (the layer count of a model without pieces).
   */
  public static int wholeLayerCount(ModelSpec model) {
    int count = 0;
    BlockPart previous = null;
    for (LayerSpec layer : model.layers()) {
      BlockPart part =
          layer.shape() instanceof LayerShape.TransformerBlock block ? block.blockPart() : null;
      if (part != null && !part.whole()) {
        // a piece continues a block when it takes up at the step after the previous piece's last
        boolean continues =
            previous != null && part.first().ordinal() == previous.last().ordinal() + 1;
        count += continues ? 0 : 1;
      } else if (layer.shape() instanceof LayerShape.LmHead head) {
        count += head.holdsNorm() ? 1 : 0;
      } else {
        count++;
      }
      previous = part != null && !part.whole() ? part : null;
    }
    return Math.max(1, count);
  }

  /**
   * Refuses a piece of a layer, for code that builds or measures whole layers.
   *
   * @param builder how the message names that code ("the executor")
   */
  public static void requireWhole(LayerSpec layer, String builder) {
    if (isPiece(layer)) {
      throw new BadInputException(
          "layer '"
              + layer.name()
              + "' is a piece of a layer (a sub-layer partition's block part or LM head slice); "
              + builder
              + " builds whole layers. Maybe use the model without --partition-unit sublayer or"
              + " step.");
    }
  }

  /** True for a block's half or a head's slice. */
  public static boolean isPiece(LayerSpec layer) {
    if (layer.shape() instanceof LayerShape.TransformerBlock block) {
      return !block.blockPart().whole();
    }
    if (layer.shape() instanceof LayerShape.LmHead head) {
      return head.isSlice();
    }
    return false;
  }

  private static boolean splittableBlock(LayerSpec layer) {
    return layer.shape() instanceof LayerShape.TransformerBlock b
        && b.blockPart().whole()
        && b.hidden().isPresent()
        && b.heads().isPresent()
        && b.kvHeads().isPresent()
        && b.ffn().isPresent()
        && b.seq().isPresent()
        && b.gated().isPresent()
        && b.hidden().getAsLong() > 0
        && b.heads().getAsLong() > 0
        && b.seq().getAsLong() > 0;
  }

  private static boolean splittableHead(LayerSpec layer) {
    return layer.shape() instanceof LayerShape.LmHead h
        && !h.isSlice()
        && h.vocab().isPresent()
        && h.hidden().isPresent()
        && h.seq().isPresent()
        && h.vocab().getAsLong() > 1;
  }

  private static void requireAnalytic(LayerSpec layer) {
    if (layer.hasMeasuredTimes()) {
      throw new BadInputException(
          "layer '"
              + layer.name()
              + "' has measured times, which are of the whole layer: a sub-layer partition needs"
              + " analytic costs (use the model without --profile, or --partition-unit layer)");
    }
  }

  /**
   * The pieces of a block, each a share of every quantity by the block's formulas: per step, what
   * it owns of the parameters, F, I and W FLOPs and each part of the saved activations ({@link
   * ActivationBytes}, Korthikanti et al.'s terms).
   */
  private static void blockPieces(LayerSpec layer, List<BlockPart> parts, List<LayerSpec> out) {
    LayerShape.TransformerBlock b = (LayerShape.TransformerBlock) layer.shape();
    double h = b.hidden().getAsLong();
    double heads = b.heads().getAsLong();
    // Without headDim the heads split the hidden width: the queries are h wide.
    double d = b.headDim().isPresent() ? b.headDim().getAsLong() : h / heads;
    double qWidth = b.headDim().isPresent() ? heads * d : h;
    double kv = b.kvHeads().getAsLong() * d;
    double f = b.ffn().getAsLong();
    double s = b.seq().getAsLong();
    boolean gated = b.gated().getAsLong() != 0;
    boolean bias = b.bias().orElse(0) != 0;
    boolean qkvBias = b.qkvBias().orElse(bias ? 1 : 0) != 0;
    boolean outBias = b.outBias().orElse(bias ? 1 : 0) != 0;
    boolean mlpBias = b.mlpBias().orElse(bias ? 1 : 0) != 0;
    double qkNorm = b.qkNorm().orElse(0) != 0 ? 2 * d : 0;
    double norm = bias ? 2 * h : h;
    double qkv = h * (qWidth + 2 * kv);
    double proj = qWidth * h;
    double up = (gated ? 2 : 1) * h * f;
    double down = h * f;
    double core = 4 * s * s * qWidth;
    // Per step: ATTENTION_IN, ATTENTION_CORE, ATTENTION_OUT, MLP_IN, MLP_OUT.
    double[] params = {
      qkv + norm + (qkvBias ? qWidth + 2 * kv : 0) + qkNorm,
      0,
      proj + (outBias ? h : 0),
      up + norm + (mlpBias ? (gated ? 2 : 1) * f : 0),
      down + (mlpBias ? h : 0)
    };
    double[] forward = {2 * qkv * s, core, 2 * proj * s, 2 * up * s, 2 * down * s};
    double[] input = {2 * qkv * s, 2 * core, 2 * proj * s, 2 * up * s, 2 * down * s};
    double[] weight = {qkv, 0, proj, up, down};
    // Saved activations: Q, K and V for the attention, its output for the output projection, the
    // activation's input(s) and the down projection's input; the norms' and the first projections'
    // inputs; one dropout mask after each sub-layer; the scores (or flash statistics) in the
    // attention. A layer known by its total splits it by all of these together.
    double[] sharded = {0, qWidth + 2 * kv, qWidth, (gated ? 2 : 1) * f, f};
    double[] sequence = {2, 0, 0, 2, 0};
    double[] masks = {0, 0, 1, 0, 1};
    double[] attention = {0, 1, 0, 0, 0};
    double[] total = {2 * h, qWidth + 2 * kv, qWidth, (gated ? 2 : 1) * f + 2 * h, f};
    double[][] formulas = {
      params, sharded, sequence, masks, attention, attention, attention, total
    };
    // What crosses a cut after each step, per unit of the block's output (seq x hidden).
    double[] crossing = {(h + qWidth + 2 * kv) / h, (h + qWidth) / h, 1, (h + f) / h, 1};
    ActivationBytes a = layer.activations();
    long[] whole = {
      layer.parameterCount(),
      a.tensorShardedBytes(),
      a.sequenceShardedBytes(),
      a.dropoutMaskBytes(),
      a.attentionScoreBytes(),
      a.attentionDropoutBytes(),
      a.flashStatisticsBytes(),
      a.total()
    };
    long[] left = whole.clone();
    for (int p = 0; p < parts.size(); p++) {
      BlockPart part = parts.get(p);
      boolean last = p == parts.size() - 1;
      long[] got = new long[whole.length];
      for (int q = 0; q < whole.length; q++) {
        got[q] =
            last ? left[q] : Math.min(left[q], Math.round(whole[q] * share(part, formulas[q])));
        left[q] -= got[q];
      }
      ActivationBytes activations =
          a.totalOnly()
              ? ActivationBytes.ofTotal(got[7])
              : new ActivationBytes(got[1], got[2], got[3], got[4], got[5], got[6]);
      double crosses = crossing[part.last().ordinal()];
      long output = Math.round(layer.outputBytes() * crosses);
      out.add(
          new LayerSpec(
              layer.name() + "." + part.label(),
              layer.kind(),
              b.withPart(part),
              layer.forwardFlops() * share(part, forward),
              layer.backwardInputFlops() * share(part, input),
              layer.backwardWeightFlops() * share(part, weight),
              got[0],
              activations.total(),
              output,
              null,
              activations));
    }
  }

  /** The part's share of a per-step quantity; an even share of the steps where all are zero. */
  private static double share(BlockPart part, double[] perStep) {
    double sum = 0;
    double mine = 0;
    int steps = 0;
    for (BlockPart.Step step : BlockPart.Step.values()) {
      sum += perStep[step.ordinal()];
      if (part.has(step)) {
        mine += perStep[step.ordinal()];
        steps++;
      }
    }
    return sum > 0 ? mine / sum : (double) steps / perStep.length;
  }

  /**
   * {@code count} slices of the vocabulary, the first ones a column larger where it does not
   * divide.
   */
  private static void headSlices(LayerSpec layer, int count, DType dtype, List<LayerSpec> out) {
    LayerShape.LmHead head = (LayerShape.LmHead) layer.shape();
    long vocab = head.vocab().getAsLong();
    long hidden = head.hidden().getAsLong();
    long seq = head.seq().getAsLong();
    int k = (int) Math.min(count, vocab);
    long rowBytes = ModelLimits.multiply("layer '" + layer.name() + "' seq x hidden", seq, hidden);
    long inputBytes =
        ModelLimits.multiply("layer '" + layer.name() + "' input", rowBytes, dtype.bytes());
    // A tied head's table is the embedding's; an untied one owns vocab x hidden of its parameters,
    // the rest is the final norm.
    long projectionParams =
        head.tied().orElse(0) == 1
            ? 0
            : Math.min(
                layer.parameterCount(),
                ModelLimits.multiply("layer '" + layer.name() + "' vocab x hidden", vocab, hidden));
    long normParams = layer.parameterCount() - projectionParams;
    ActivationBytes a = layer.activations();
    long assigned = 0;
    long paramsAssigned = 0;
    long logitsAssigned = 0;
    for (int i = 1; i <= k; i++) {
      long columns = vocab / k + (i <= vocab % k ? 1 : 0);
      double fraction = (double) columns / vocab;
      boolean last = i == k;
      long params =
          last ? projectionParams - paramsAssigned : (long) Math.floor(projectionParams * fraction);
      paramsAssigned += last ? 0 : params;
      long logits =
          last
              ? a.tensorShardedBytes() - logitsAssigned
              : (long) Math.floor(a.tensorShardedBytes() * fraction);
      logitsAssigned += last ? 0 : logits;
      // The first slice keeps the norm's and the projection's inputs, as the whole head does; the
      // others their own copy of the projection's input.
      long inputs =
          i == 1 ? a.sequenceShardedBytes() : Math.min(inputBytes, a.sequenceShardedBytes());
      ActivationBytes activations = new ActivationBytes(logits, inputs, 0, 0, 0, 0);
      long output =
          last
              ? layer.outputBytes()
              : ModelLimits.add(
                  "layer '" + layer.name() + "' slice outputBytes",
                  inputBytes,
                  ModelLimits.multiply("slice statistics", seq, SLICE_STATISTICS_BYTES_PER_TOKEN));
      out.add(
          new LayerSpec(
              layer.name() + ".slice" + i + "of" + k,
              layer.kind(),
              head.slice(columns, i, k),
              layer.forwardFlops() * fraction,
              layer.backwardInputFlops() * fraction,
              layer.backwardWeightFlops() * fraction,
              (i == 1 ? normParams : 0) + params,
              activations.total(),
              output,
              null,
              activations));
      assigned += columns;
    }
    if (assigned != vocab) {
      throw new IllegalStateException("slices cover " + assigned + " of " + vocab + " columns");
    }
  }
}
