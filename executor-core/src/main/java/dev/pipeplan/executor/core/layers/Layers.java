package dev.pipeplan.executor.core.layers;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
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
    return switch (spec.kind()) {
      case EMBEDDING ->
          new EmbeddingLayer(
              ops,
              spec.name(),
              dim(spec, "vocab"),
              dim(spec, "hidden"),
              spec.shapeMap().containsKey("positions") ? dim(spec, "positions") : dim(spec, "seq"),
              random);
      case TRANSFORMER_BLOCK -> {
        int heads = dim(spec, "heads");
        yield new TransformerBlockLayer(
            ops,
            spec.name(),
            dim(spec, "hidden"),
            heads,
            spec.shapeMap().containsKey("kvHeads") ? dim(spec, "kvHeads") : heads,
            dim(spec, "ffn"),
            flag(spec, "gated"),
            !spec.shapeMap().containsKey("bias") || flag(spec, "bias"),
            random);
      }
      case LM_HEAD ->
          new LmHeadLayer(ops, spec.name(), dim(spec, "hidden"), dim(spec, "vocab"), random);
      case MLP ->
          new MlpLayer(
              ops, spec.name(), dim(spec, "in"), dim(spec, "hidden"), dim(spec, "out"), random);
      case CONV, POOL, LINEAR, NORM, OTHER -> throw cannotRun(spec);
    };
  }

  private static BadInputException cannotRun(LayerSpec spec) {
    return new BadInputException(
        "layer '"
            + spec.name()
            + "' is of kind "
            + spec.kind().id()
            + ", which the executor cannot run; it runs embedding, transformer_block, mlp and lm_head layers");
  }

  private static int dim(LayerSpec spec, String key) {
    long v = spec.shapeValue(key);
    if (v <= 0 || v > Integer.MAX_VALUE) {
      throw new BadInputException(
          "layer '"
              + spec.name()
              + "' shape "
              + key
              + " ("
              + v
              + ") must be in 1.."
              + Integer.MAX_VALUE);
    }
    return (int) v;
  }

  private static boolean flag(LayerSpec spec, String key) {
    return spec.shapeMap().containsKey(key) && spec.shapeValue(key) != 0;
  }
}
