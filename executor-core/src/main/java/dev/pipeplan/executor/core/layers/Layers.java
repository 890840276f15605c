package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.SubLayers;
import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * Builds layers from a model's layer shapes: each layer its own random stream split from the root
 * seed in model order, so its weights do not depend on the partition. A block's norm follows its
 * {@code bias} (0: RMSNorm), its rotary embedding its {@code ropeTheta} (or 10000 in a model
 * without learned positions), its q/k norms its {@code qkNorm}; the head's norm follows the blocks.
 */
public final class Layers {
  private Layers() {}

  /** The random stream of every layer, in model order. */
  public static SplittableRandom[] streams(ModelSpec model, long seed) {
    SplittableRandom root = new SplittableRandom(seed);
    SplittableRandom[] out = new SplittableRandom[model.layerCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = root.split();
    }
    return out;
  }

  /**
   * Layer {@code index} of {@code model}, its parameters allocated on {@code ops}, with what the
   * model says beyond the layer's shape ({@link ModelStyle}).
   */
  public static Layer<?> build(Ops ops, ModelSpec model, int index, SplittableRandom random) {
    return build(ops, model.layer(index), ModelStyle.of(model), random);
  }

  /** One layer from its shape alone ({@link ModelStyle#NONE}), its parameters on {@code ops}. */
  public static Layer<?> build(Ops ops, LayerSpec spec, SplittableRandom random) {
    return build(ops, spec, ModelStyle.NONE, random);
  }

  /** One layer from its shape and its model's style, its parameters allocated on {@code ops}. */
  public static Layer<?> build(Ops ops, LayerSpec spec, ModelStyle style, SplittableRandom random) {
    SubLayers.requireWhole(spec, "the executor");
    LayerShape shape = spec.shape();
    if (shape instanceof LayerShape.Embedding e) {
      int vocab = dim(spec, "vocab", e.vocab());
      int hidden = dim(spec, "hidden", e.hidden());
      // positions 0 is a rotary model's embedding (Llama style): no position table
      int positions;
      if (e.positions().isEmpty()) {
        positions = dim(spec, "seq", e.seq());
      } else if (e.positions().getAsLong() == 0) {
        positions = 0;
      } else {
        positions = dim(spec, "positions", e.positions());
      }
      return new EmbeddingLayer(ops, spec.name(), vocab, hidden, positions, random);
    }
    if (shape instanceof LayerShape.TransformerBlock b) {
      int heads = dim(spec, "heads", b.heads());
      int hidden = dim(spec, "hidden", b.hidden());
      int kvHeads = b.kvHeads().isPresent() ? dim(spec, "kvHeads", b.kvHeads()) : heads;
      int ffn = dim(spec, "ffn", b.ffn());
      if (b.headDim().isEmpty() && hidden % heads != 0) {
        throw new BadInputException(
            "layer '"
                + spec.name()
                + "': heads ("
                + heads
                + ") must divide hidden ("
                + hidden
                + ") when the shape has no headDim");
      }
      int headDim = b.headDim().isPresent() ? dim(spec, "headDim", b.headDim()) : hidden / heads;
      // A file without bias means GPT-2-style biases here, as it always has.
      long bias = b.bias().orElse(1);
      TransformerBlockLayer.Biases biases =
          new TransformerBlockLayer.Biases(
              b.qkvBias().orElse(bias) != 0,
              b.outBias().orElse(bias) != 0,
              b.mlpBias().orElse(bias) != 0);
      TransformerBlockLayer.Style blockStyle =
          new TransformerBlockLayer.Style(
              ModelStyle.normOf(b),
              b.ropeTheta().orElse(style.defaultRopeTheta()),
              b.qkNorm().orElse(0) != 0);
      return new TransformerBlockLayer(
          ops,
          spec.name(),
          hidden,
          heads,
          kvHeads,
          headDim,
          ffn,
          b.gated().orElse(0) != 0,
          biases,
          blockStyle,
          random);
    }
    if (shape instanceof LayerShape.LmHead h) {
      int hidden = dim(spec, "hidden", h.hidden());
      int vocab = dim(spec, "vocab", h.vocab());
      return new LmHeadLayer(ops, spec.name(), hidden, vocab, style.headNorm(), random);
    }
    if (shape instanceof LayerShape.Mlp m) {
      int in = dim(spec, "in", m.in());
      int hidden = dim(spec, "hidden", m.hidden());
      int out = dim(spec, "out", m.out());
      return new MlpLayer(ops, spec.name(), in, hidden, out, random);
    }
    throw cannotRun(spec);
  }

  private static BadInputException cannotRun(LayerSpec spec) {
    return new BadInputException(
        "layer '"
            + spec.name()
            + "' is of kind "
            + spec.kind().id()
            + ", which the executor cannot run; it runs embedding, transformer_block, mlp and lm_head layers");
  }

  /** The width of a row of the layer's input: an MLP's {@code in}, the other kinds' hidden. */
  public static long inputWidth(LayerSpec spec) {
    if (spec.shape() instanceof LayerShape.Mlp m) {
      return present(spec, "in", m.in());
    }
    return hidden(spec);
  }

  /** The layer's {@code hidden} dimension (an MLP's inner width). */
  public static long hidden(LayerSpec spec) {
    LayerShape shape = spec.shape();
    OptionalLong hidden = OptionalLong.empty();
    if (shape instanceof LayerShape.Embedding e) {
      hidden = e.hidden();
    } else if (shape instanceof LayerShape.TransformerBlock b) {
      hidden = b.hidden();
    } else if (shape instanceof LayerShape.LmHead h) {
      hidden = h.hidden();
    } else if (shape instanceof LayerShape.Mlp m) {
      hidden = m.hidden();
    }
    return present(spec, "hidden", hidden);
  }

  private static long present(LayerSpec spec, String key, OptionalLong dimension) {
    if (dimension.isEmpty()) {
      throw new BadInputException(
          "layer '"
              + spec.name()
              + "' ("
              + spec.kind().id()
              + ") has no shape parameter '"
              + key
              + "'");
    }
    return dimension.getAsLong();
  }

  /** A dimension as an int size; {@code key} names it in the messages. */
  private static int dim(LayerSpec spec, String key, OptionalLong dimension) {
    return spec.intDimension(key, present(spec, key, dimension));
  }
}
