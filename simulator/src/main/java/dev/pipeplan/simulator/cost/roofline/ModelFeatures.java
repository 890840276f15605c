package dev.pipeplan.simulator.cost.roofline;

import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import java.util.Objects;

/**
 * What a model's blocks do besides their GEMMs, read from its layers' shapes.
 *
 * @param rotary rotary position embeddings on Q and K: the model has an embedding layer without
 *     learned positions ({@code positions} = 0)
 * @param dropout dropout after the attention and MLP outputs: a block's {@code dropout} shape entry
 *     when it has one (non-zero means dropout), else GPT-style blocks with biases (GPT-2/3, OPT,
 *     Megatron's GPT default 0.1) and none for the bias-free Llama family
 * @param causal a causal attention mask: every transformer in the zoo is a decoder
 */
public record ModelFeatures(boolean rotary, boolean dropout, boolean causal) {

  /** The features of a model's blocks. */
  public static ModelFeatures of(ModelSpec model) {
    Objects.requireNonNull(model, "model");
    boolean rotary = false;
    boolean dropout = false;
    for (LayerSpec layer : model.layers()) {
      if (layer.shape() instanceof LayerShape.Embedding embedding) {
        rotary = embedding.positions().orElse(1) == 0;
      }
      if (layer.shape() instanceof LayerShape.TransformerBlock block) {
        dropout =
            block.dropout().isPresent()
                ? block.dropout().getAsLong() != 0
                : block.bias().orElse(0) != 0;
      }
    }
    return new ModelFeatures(rotary, dropout, true);
  }
}
