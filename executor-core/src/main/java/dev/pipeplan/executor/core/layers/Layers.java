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
 * seed in model order, so its weights do not depend on the partition.
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

  /** One layer from its shape, its parameters allocated on {@code ops}. */
  public static Layer<?> build(Ops ops, LayerSpec spec, SplittableRandom random) {
    SubLayers.requireWhole(spec, "the executor");
    LayerShape shape = spec.shape();
    if (shape instanceof LayerShape.Embedding e) {
      int vocab = dim(spec, "vocab", e.vocab());
      int hidden = dim(spec, "hidden", e.hidden());
      if (e.positions().isPresent() && e.positions().getAsLong() == 0) {
        // positions 0 is a rotary model's embedding (Llama style): the blocks would need RoPE and
        // RMSNorm, which the executor's GPT-style blocks do not run
        throw new BadInputException(
            "layer '"
                + spec.name()
                + "' has no learned positions (positions 0: rotary position embeddings, Llama"
                + " style), and the executor runs GPT-style models only (learned positions,"
                + " LayerNorm), so it cannot measure or run this model. Maybe profile and run a"
                + " GPT-style model (gpt-small-cpu, gpt-tiny or a gpt2 config), or plan this one"
                + " without running it");
      }
      int positions =
          e.positions().isPresent()
              ? dim(spec, "positions", e.positions())
              : dim(spec, "seq", e.seq());
      return new EmbeddingLayer(ops, spec.name(), vocab, hidden, positions, random);
    }
    if (shape instanceof LayerShape.TransformerBlock b) {
      int heads = dim(spec, "heads", b.heads());
      int hidden = dim(spec, "hidden", b.hidden());
      int kvHeads = b.kvHeads().isPresent() ? dim(spec, "kvHeads", b.kvHeads()) : heads;
      int ffn = dim(spec, "ffn", b.ffn());
      if (b.qkNorm().orElse(0) != 0) {
        throw new BadInputException(
            "layer '"
                + spec.name()
                + "' has qkNorm "
                + b.qkNorm().getAsLong()
                + " (a per-head RMSNorm on queries and keys, as Qwen3), which the executor's"
                + " block does not build. Maybe plan it without running it, or remove qkNorm from"
                + " the model file.");
      }
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
          random);
    }
    if (shape instanceof LayerShape.LmHead h) {
      int hidden = dim(spec, "hidden", h.hidden());
      int vocab = dim(spec, "vocab", h.vocab());
      return new LmHeadLayer(ops, spec.name(), hidden, vocab, random);
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
