package dev.pipeplan.executor.layers;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Builds executable layers from a model's layer shapes. Every layer of the model gets its own
 * random stream, split from the root seed in model order, so a layer's weights are the same however
 * the model is partitioned.
 */
public final class LayerFactory {
  private LayerFactory() {}

  /** Every layer of the model, in order. */
  public static List<ExecutableLayer<?>> build(ModelSpec model, long seed, DataType dataType) {
    SplittableRandom root = new SplittableRandom(seed);
    List<ExecutableLayer<?>> layers = new ArrayList<>(model.layerCount());
    for (LayerSpec spec : model.layers()) {
      layers.add(build(spec, root.split(), dataType));
    }
    return layers;
  }

  /** One layer from its shape; throws {@link BadInputException} for kinds that cannot run. */
  public static ExecutableLayer<?> build(
      LayerSpec spec, SplittableRandom random, DataType dataType) {
    return switch (spec.kind()) {
      case EMBEDDING ->
          new EmbeddingLayer(
              spec.name(),
              dim(spec, "vocab"),
              dim(spec, "hidden"),
              spec.shape().containsKey("positions") ? dim(spec, "positions") : dim(spec, "seq"),
              random,
              dataType);
      case TRANSFORMER_BLOCK -> {
        int heads = dim(spec, "heads");
        yield new TransformerBlockLayer(
            spec.name(),
            dim(spec, "hidden"),
            heads,
            spec.shape().containsKey("kvHeads") ? dim(spec, "kvHeads") : heads,
            dim(spec, "ffn"),
            flag(spec, "gated"),
            !spec.shape().containsKey("bias") || flag(spec, "bias"),
            random,
            dataType);
      }
      case MLP ->
          new MlpLayer(
              spec.name(),
              dim(spec, "in"),
              dim(spec, "hidden"),
              dim(spec, "out"),
              random,
              dataType);
      case LM_HEAD ->
          new LmHeadLayer(spec.name(), dim(spec, "hidden"), dim(spec, "vocab"), random, dataType);
      case CONV, POOL, LINEAR, NORM, OTHER ->
          throw new BadInputException(
              "layer '"
                  + spec.name()
                  + "' is of kind "
                  + spec.kind().id()
                  + ", which the executor cannot run; it runs embedding, transformer_block, mlp and lm_head layers");
    };
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
    return spec.shape().containsKey(key) && spec.shapeValue(key) != 0;
  }
}
