package dev.pipeplan.models;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The dimensions of one layer, typed by what the layer computes: the keys a kind's readers use (the
 * zoo writes all of them) are fields, so a misspelt key does not compile. A model file may leave
 * any of them out; an absent dimension is an empty {@link OptionalLong} and each reader says what
 * it does without it. Keys a kind does not define are carried in {@code others}, read by no code,
 * so that a file reads and writes back to the same bytes.
 *
 * <p>In files the shape is the map {@link #values()}: one whole number per key, sorted by key.
 */
public sealed interface LayerShape
    permits LayerShape.Embedding,
        LayerShape.TransformerBlock,
        LayerShape.LmHead,
        LayerShape.Mlp,
        LayerShape.Linear,
        LayerShape.Dimensions {

  /** Every present dimension by its file key, sorted by key: what files hold. */
  @JsonValue
  SortedMap<String, Long> values();

  /** No dimensions: a layer described by FLOPs and bytes only. */
  static LayerShape none() {
    return Dimensions.NONE;
  }

  /** The shape of a layer of {@code kind} whose dimensions are not known (an imported profile). */
  static LayerShape unknown(LayerKind kind) {
    return of(kind, Map.of());
  }

  /**
   * The shape of a layer of {@code kind} from its file map: the typed record of embedding,
   * transformer_block, lm_head, mlp and linear layers, {@link Dimensions} for the others.
   */
  static LayerShape of(LayerKind kind, Map<String, Long> values) {
    Objects.requireNonNull(kind, "kind");
    TreeMap<String, Long> left = new TreeMap<>(Objects.requireNonNull(values, "shape"));
    LayerShape shape =
        switch (kind) {
          case EMBEDDING ->
              new Embedding(
                  take(left, "vocab"),
                  take(left, "hidden"),
                  take(left, "seq"),
                  take(left, "positions"),
                  left);
          case TRANSFORMER_BLOCK ->
              new TransformerBlock(
                  take(left, "hidden"),
                  take(left, "heads"),
                  take(left, "kvHeads"),
                  take(left, "ffn"),
                  take(left, "seq"),
                  take(left, "gated"),
                  take(left, "bias"),
                  take(left, "dropout"),
                  take(left, "part"),
                  take(left, "headDim"),
                  take(left, "qkvBias"),
                  take(left, "outBias"),
                  take(left, "mlpBias"),
                  take(left, "qkNorm"),
                  take(left, "ropeTheta"),
                  left);
          case LM_HEAD ->
              new LmHead(
                  take(left, "vocab"),
                  take(left, "hidden"),
                  take(left, "seq"),
                  take(left, "tied"),
                  take(left, "slice"),
                  take(left, "slices"),
                  left);
          case MLP -> new Mlp(take(left, "in"), take(left, "hidden"), take(left, "out"), left);
          case LINEAR -> new Linear(take(left, "in"), take(left, "out"), left);
          case CONV, POOL, NORM, OTHER -> new Dimensions(left);
        };
    return shape;
  }

  /** Whether {@code shape} suits a layer of {@code kind} ({@link Dimensions} suits the rest). */
  static boolean suits(LayerShape shape, LayerKind kind) {
    return switch (kind) {
      case EMBEDDING -> shape instanceof Embedding;
      case TRANSFORMER_BLOCK -> shape instanceof TransformerBlock;
      case LM_HEAD -> shape instanceof LmHead;
      case MLP -> shape instanceof Mlp;
      case LINEAR -> shape instanceof Linear;
      case CONV, POOL, NORM, OTHER -> shape instanceof Dimensions;
    };
  }

  /**
   * A token (and learned position) embedding.
   *
   * @param vocab vocabulary size
   * @param hidden width of a token's vector
   * @param seq tokens per sample
   * @param positions learned positions in the table; 0 for rotary models (no position table)
   * @param others keys an embedding does not define, kept as given
   */
  record Embedding(
      OptionalLong vocab,
      OptionalLong hidden,
      OptionalLong seq,
      OptionalLong positions,
      SortedMap<String, Long> others)
      implements LayerShape {
    public Embedding {
      requireAll(vocab, hidden, seq, positions);
      others = copy(others);
      requireSizes("an embedding", "vocab", vocab, "hidden", hidden, "seq", seq);
    }

    /** The zoo's embedding: every dimension present. */
    public static Embedding of(long vocab, long hidden, long seq, long positions) {
      return new Embedding(
          OptionalLong.of(vocab),
          OptionalLong.of(hidden),
          OptionalLong.of(seq),
          OptionalLong.of(positions),
          Collections.emptySortedMap());
    }

    @Override
    public SortedMap<String, Long> values() {
      TreeMap<String, Long> m = new TreeMap<>(others);
      put(m, "vocab", vocab);
      put(m, "hidden", hidden);
      put(m, "seq", seq);
      put(m, "positions", positions);
      return Collections.unmodifiableSortedMap(m);
    }
  }

  /**
   * A transformer block: attention and MLP with their norms.
   *
   * @param hidden model width
   * @param heads attention heads
   * @param kvHeads key/value heads (fewer than heads: grouped-query attention)
   * @param ffn MLP inner size
   * @param seq tokens per sample
   * @param gated non-zero: a gated (SwiGLU) MLP with two up projections
   * @param bias non-zero: GPT-2-style biases and LayerNorm; 0: no biases and RMSNorm
   * @param dropout non-zero: dropout after attention and MLP, overriding what {@code bias} implies
   * @param part which of the block's steps the layer runs ({@link BlockPart}): a bit mask, absent
   *     for the whole block (a sub-layer partition's pieces)
   * @param headDim the width of one attention head; absent: hidden / heads
   * @param qkvBias non-zero: biases on the query, key and value projections; absent: as {@code
   *     bias}
   * @param outBias non-zero: a bias on the attention's output projection; absent: as {@code bias}
   * @param mlpBias non-zero: biases on the MLP's projections; absent: as {@code bias}
   * @param qkNorm non-zero: a per-head RMSNorm on the queries and keys (Qwen3), two weight vectors
   *     of {@code headDim}; absent: none
   * @param ropeTheta the base of the rotary position embedding applied to the queries and keys (a
   *     Llama model's {@code rope_theta}: 10000, Llama 3 500000); written for models without
   *     learned positions, absent for the others. The cost model does not read it (a rotation costs
   *     nothing next to the GEMMs); the executor does, and takes 10000 for a block of a model
   *     without learned positions that lacks it
   * @param others keys a block does not define, kept as given
   */
  record TransformerBlock(
      OptionalLong hidden,
      OptionalLong heads,
      OptionalLong kvHeads,
      OptionalLong ffn,
      OptionalLong seq,
      OptionalLong gated,
      OptionalLong bias,
      OptionalLong dropout,
      OptionalLong part,
      OptionalLong headDim,
      OptionalLong qkvBias,
      OptionalLong outBias,
      OptionalLong mlpBias,
      OptionalLong qkNorm,
      OptionalLong ropeTheta,
      SortedMap<String, Long> others)
      implements LayerShape {
    public TransformerBlock {
      requireAll(hidden, heads, kvHeads, ffn, seq, gated, bias, dropout, part);
      requireAll(headDim, qkvBias, outBias, mlpBias, qkNorm, ropeTheta);
      others = copy(others);
      BlockPart.of(part);
      requireSizes("a transformer_block", "ropeTheta", ropeTheta);
      requireSizes(
          "a transformer_block",
          "hidden",
          hidden,
          "heads",
          heads,
          "kvHeads",
          kvHeads,
          "ffn",
          ffn,
          "seq",
          seq);
      // the cost model splits the width into heads of hidden / heads and groups the heads over
      // the key/value heads: 'heads: 7' of a width of 64 gave heads of 9 (the costs of a 63 wide
      // attention), 'kvHeads: 64' of 4 heads costed 64 key/value heads
      if (heads.isPresent()
          && hidden.isPresent()
          && (hidden.getAsLong() < heads.getAsLong()
              || hidden.getAsLong() % heads.getAsLong() != 0)) {
        throw new BadInputException(
            "a transformer_block's 'hidden' ("
                + hidden.getAsLong()
                + ") must be a multiple of its 'heads' ("
                + heads.getAsLong()
                + "): each head is hidden / heads wide");
      }
      if (heads.isPresent()
          && kvHeads.isPresent()
          && heads.getAsLong() % kvHeads.getAsLong() != 0) {
        throw new BadInputException(
            "a transformer_block's 'kvHeads' ("
                + kvHeads.getAsLong()
                + ") must divide its 'heads' ("
                + heads.getAsLong()
                + "): each key/value head serves a group of query heads");
      }
    }

    /**
     * The width of one head: {@code headDim}, else hidden / heads; empty when neither is known (or
     * heads is not positive).
     */
    public OptionalLong effectiveHeadDim() {
      if (headDim.isPresent()) {
        return headDim;
      }
      if (hidden.isPresent() && heads.isPresent() && heads.getAsLong() > 0) {
        return OptionalLong.of(hidden.getAsLong() / heads.getAsLong());
      }
      return OptionalLong.empty();
    }

    /**
     * The width of all query heads together, heads × {@code headDim}, else the hidden width (the
     * columns QKᵀ and softmax·V run over); empty when neither is known.
     */
    public OptionalLong attentionWidth() {
      if (headDim.isPresent() && heads.isPresent()) {
        return OptionalLong.of(heads.getAsLong() * headDim.getAsLong());
      }
      return hidden;
    }

    /**
     * The same block with the attention's head width, the projection biases, the query/key norm and
     * the rotary embedding's base set (each absent: its default).
     */
    public TransformerBlock withAttentionDetails(
        OptionalLong newHeadDim,
        OptionalLong newQkvBias,
        OptionalLong newOutBias,
        OptionalLong newMlpBias,
        OptionalLong newQkNorm,
        OptionalLong newRopeTheta) {
      return new TransformerBlock(
          hidden,
          heads,
          kvHeads,
          ffn,
          seq,
          gated,
          bias,
          dropout,
          part,
          newHeadDim,
          newQkvBias,
          newOutBias,
          newMlpBias,
          newQkNorm,
          newRopeTheta,
          others);
    }

    /** The same block with the rotary embedding's base set (absent: no rotary base recorded). */
    public TransformerBlock withRopeTheta(OptionalLong newRopeTheta) {
      return withAttentionDetails(headDim, qkvBias, outBias, mlpBias, qkNorm, newRopeTheta);
    }

    /** Which part of a block this layer is. */
    public BlockPart blockPart() {
      return BlockPart.of(part);
    }

    /** The same block's {@code which} part. */
    public TransformerBlock withPart(BlockPart which) {
      return new TransformerBlock(
          hidden,
          heads,
          kvHeads,
          ffn,
          seq,
          gated,
          bias,
          dropout,
          which.whole() ? OptionalLong.empty() : OptionalLong.of(which.mask()),
          headDim,
          qkvBias,
          outBias,
          mlpBias,
          qkNorm,
          ropeTheta,
          others);
    }

    /** The zoo's block: every dimension but {@code dropout} present. */
    public static TransformerBlock of(
        long hidden, long heads, long kvHeads, long ffn, long seq, boolean gated, boolean bias) {
      return new TransformerBlock(
          OptionalLong.of(hidden),
          OptionalLong.of(heads),
          OptionalLong.of(kvHeads),
          OptionalLong.of(ffn),
          OptionalLong.of(seq),
          OptionalLong.of(gated ? 1 : 0),
          OptionalLong.of(bias ? 1 : 0),
          OptionalLong.empty(),
          OptionalLong.empty(),
          OptionalLong.empty(),
          OptionalLong.empty(),
          OptionalLong.empty(),
          OptionalLong.empty(),
          OptionalLong.empty(),
          OptionalLong.empty(),
          Collections.emptySortedMap());
    }

    @Override
    public SortedMap<String, Long> values() {
      TreeMap<String, Long> m = new TreeMap<>(others);
      put(m, "hidden", hidden);
      put(m, "heads", heads);
      put(m, "kvHeads", kvHeads);
      put(m, "ffn", ffn);
      put(m, "seq", seq);
      put(m, "gated", gated);
      put(m, "bias", bias);
      put(m, "dropout", dropout);
      put(m, "part", part);
      put(m, "headDim", headDim);
      put(m, "qkvBias", qkvBias);
      put(m, "outBias", outBias);
      put(m, "mlpBias", mlpBias);
      put(m, "qkNorm", qkNorm);
      put(m, "ropeTheta", ropeTheta);
      return Collections.unmodifiableSortedMap(m);
    }
  }

  /**
   * The output projection to the vocabulary and the loss.
   *
   * @param vocab vocabulary size
   * @param hidden model width
   * @param seq tokens per sample
   * @param tied 1: the projection shares the embedding's weights
   * @param slice for a head split over the vocabulary (a sub-layer partition's pieces), this
   *     slice's number, 1 to {@code slices}; absent for a whole head
   * @param slices how many vocabulary slices the head is split into; absent for a whole head
   * @param others keys a head does not define, kept as given
   */
  record LmHead(
      OptionalLong vocab,
      OptionalLong hidden,
      OptionalLong seq,
      OptionalLong tied,
      OptionalLong slice,
      OptionalLong slices,
      SortedMap<String, Long> others)
      implements LayerShape {
    public LmHead {
      requireAll(vocab, hidden, seq, tied, slice, slices);
      others = copy(others);
      requireSizes("an lm_head", "vocab", vocab, "hidden", hidden, "seq", seq);
      if (slice.isPresent() != slices.isPresent()
          || (slices.isPresent()
              && (slices.getAsLong() < 1
                  || slice.getAsLong() < 1
                  || slice.getAsLong() > slices.getAsLong()))) {
        throw new BadInputException(
            "an lm_head's 'slice' and 'slices' go together, with 1 <= slice <= slices; got slice "
                + (slice.isPresent() ? slice.getAsLong() : "absent")
                + ", slices "
                + (slices.isPresent() ? slices.getAsLong() : "absent"));
      }
    }

    /** True for one vocabulary slice of a split head. */
    public boolean isSlice() {
      return slices.isPresent() && slices.getAsLong() > 1;
    }

    /** True for a whole head, or the slice that finishes the loss (the last). */
    public boolean endsLoss() {
      return !isSlice() || slice.getAsLong() == slices.getAsLong();
    }

    /** True for a whole head, or the slice that holds the final norm (the first). */
    public boolean holdsNorm() {
      return !isSlice() || slice.getAsLong() == 1;
    }

    /** Slice {@code number} of {@code count}, with {@code sliceVocab} of the vocabulary. */
    public LmHead slice(long sliceVocab, int number, int count) {
      return new LmHead(
          OptionalLong.of(sliceVocab),
          hidden,
          seq,
          tied,
          OptionalLong.of(number),
          OptionalLong.of(count),
          others);
    }

    /** The zoo's head: every dimension present. */
    public static LmHead of(long vocab, long hidden, long seq, boolean tied) {
      return new LmHead(
          OptionalLong.of(vocab),
          OptionalLong.of(hidden),
          OptionalLong.of(seq),
          OptionalLong.of(tied ? 1 : 0),
          OptionalLong.empty(),
          OptionalLong.empty(),
          Collections.emptySortedMap());
    }

    @Override
    public SortedMap<String, Long> values() {
      TreeMap<String, Long> m = new TreeMap<>(others);
      put(m, "vocab", vocab);
      put(m, "hidden", hidden);
      put(m, "seq", seq);
      put(m, "tied", tied);
      put(m, "slice", slice);
      put(m, "slices", slices);
      return Collections.unmodifiableSortedMap(m);
    }
  }

  /**
   * A two-layer perceptron: in → hidden → out.
   *
   * @param in input width
   * @param hidden inner width
   * @param out output width
   * @param others keys an MLP does not define, kept as given
   */
  record Mlp(OptionalLong in, OptionalLong hidden, OptionalLong out, SortedMap<String, Long> others)
      implements LayerShape {
    public Mlp {
      requireAll(in, hidden, out);
      others = copy(others);
      requireSizes("an mlp", "in", in, "hidden", hidden, "out", out);
    }

    /** An MLP with every dimension present. */
    public static Mlp of(long in, long hidden, long out) {
      return new Mlp(
          OptionalLong.of(in),
          OptionalLong.of(hidden),
          OptionalLong.of(out),
          Collections.emptySortedMap());
    }

    @Override
    public SortedMap<String, Long> values() {
      TreeMap<String, Long> m = new TreeMap<>(others);
      put(m, "in", in);
      put(m, "hidden", hidden);
      put(m, "out", out);
      return Collections.unmodifiableSortedMap(m);
    }
  }

  /**
   * A fully connected layer (a CNN's classifier): in → out. The roofline costs it by its FLOPs and
   * the executor does not run it, so no code reads these; the zoo records them.
   *
   * @param in input width
   * @param out output width
   * @param others keys a linear layer does not define, kept as given
   */
  record Linear(OptionalLong in, OptionalLong out, SortedMap<String, Long> others)
      implements LayerShape {
    public Linear {
      requireAll(in, out);
      others = copy(others);
      requireSizes("a linear layer", "in", in, "out", out);
    }

    /** A linear layer with both widths present. */
    public static Linear of(long in, long out) {
      return new Linear(OptionalLong.of(in), OptionalLong.of(out), Collections.emptySortedMap());
    }

    @Override
    public SortedMap<String, Long> values() {
      TreeMap<String, Long> m = new TreeMap<>(others);
      put(m, "in", in);
      put(m, "out", out);
      return Collections.unmodifiableSortedMap(m);
    }
  }

  /**
   * The recorded dimensions of a layer that is costed by its FLOPs and bytes alone (conv, pool,
   * norm, other): no code reads them; they describe the layer to people and round-trip through
   * files. Empty for a layer without a shape.
   *
   * @param values the dimensions by key
   */
  record Dimensions(SortedMap<String, Long> values) implements LayerShape {
    static final Dimensions NONE = new Dimensions(Collections.emptySortedMap());

    public Dimensions {
      values = copy(values);
    }

    /** Dimensions in the given key order's sorted form. */
    public static Dimensions of(Map<String, Long> values) {
      return new Dimensions(new TreeMap<>(Objects.requireNonNull(values, "values")));
    }
  }

  private static void requireAll(OptionalLong... dimensions) {
    for (OptionalLong d : dimensions) {
      Objects.requireNonNull(d, "dimension");
    }
  }

  /**
   * Refuses a size key given as 0: the cost model builds matrix products of these sizes, and a
   * width, a vocabulary or a sequence of 0 has no product ('GEMM n must be >= 1', exit 1). An
   * absent key stays allowed (the layer is then costed by its FLOPs); flags and {@code positions}
   * may be 0. Arguments are (key, value) pairs.
   */
  private static void requireSizes(String layer, Object... keysAndValues) {
    for (int i = 0; i < keysAndValues.length; i += 2) {
      OptionalLong v = (OptionalLong) keysAndValues[i + 1];
      if (v.isPresent() && v.getAsLong() < 1) {
        throw new BadInputException(
            layer + "'s '" + keysAndValues[i] + "' must be >= 1, got " + v.getAsLong());
      }
    }
  }

  private static SortedMap<String, Long> copy(Map<String, Long> values) {
    Objects.requireNonNull(values, "others");
    TreeMap<String, Long> m = new TreeMap<>();
    values.forEach(
        (k, v) -> m.put(Objects.requireNonNull(k, "shape key"), Objects.requireNonNull(v, k)));
    return Collections.unmodifiableSortedMap(m);
  }

  private static void put(Map<String, Long> m, String key, OptionalLong value) {
    if (value.isPresent()) {
      m.put(key, value.getAsLong());
    }
  }

  /** Removes {@code key} from {@code left}: its value, or empty when the map has none. */
  private static OptionalLong take(Map<String, Long> left, String key) {
    Long v = left.remove(key);
    return v == null ? OptionalLong.empty() : OptionalLong.of(v);
  }
}
