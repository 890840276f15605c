package dev.pipeplan.cuda.runtime;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.SubLayers;

/**
 * Which models the CUDA backend runs: language models from an embedding to an LM head, with
 * transformer blocks between (GPT-2 and Llama style: any head width, projection biases, rotary
 * embeddings, RMSNorms and Qwen3's query/key norms). The shared layers have more kinds (the MLP),
 * but this backend's pipeline feeds token ids and ends in the LM head's loss.
 */
public final class CudaModels {
  private CudaModels() {}

  /** Throws {@link BadInputException} unless this backend can run {@code model}. */
  public static void checkRunnable(ModelSpec model) {
    LayerSpec first = model.layers().get(0);
    LayerSpec last = model.layers().get(model.layerCount() - 1);
    if (first.kind() != LayerKind.EMBEDDING || last.kind() != LayerKind.LM_HEAD) {
      throw new BadInputException(
          "model '"
              + model.name()
              + "' runs from "
              + first.kind().id()
              + " to "
              + last.kind().id()
              + "; the cuda backend runs language models from an embedding to an lm_head");
    }
    for (LayerSpec spec : model.layers()) {
      SubLayers.requireWhole(spec, "the cuda backend");
      if (!runs(spec.kind())) {
        throw new BadInputException(
            "layer '"
                + spec.name()
                + "' is of kind "
                + spec.kind().id()
                + ", which the cuda backend cannot run; it runs embedding, transformer_block and lm_head layers");
      }
    }
  }

  private static boolean runs(LayerKind kind) {
    return switch (kind) {
      case EMBEDDING, TRANSFORMER_BLOCK, LM_HEAD -> true;
      case MLP, CONV, POOL, LINEAR, NORM, OTHER -> false;
    };
  }
}
