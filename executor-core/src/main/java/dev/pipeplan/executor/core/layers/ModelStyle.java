package dev.pipeplan.executor.core.layers;

import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.zoo.TransformerConfig;
import java.util.Objects;

/**
 * What a layer's own shape does not say and its model does: the rotary base of a block that has no
 * {@code ropeTheta} in a model without learned positions (files written before the key existed),
 * and the kind of the head's final norm, which follows the blocks' (RMSNorm where they have no
 * GPT-2 biases, as the cost model counts it and as the torch-script export builds it).
 *
 * @param defaultRopeTheta the rotary base of blocks without {@code ropeTheta}; 0: none
 * @param headNorm the LM head's final norm
 */
public record ModelStyle(long defaultRopeTheta, NormKind headNorm) {
  /** A layer on its own: no rotary default, a layer-norm head. */
  public static final ModelStyle NONE = new ModelStyle(0, NormKind.LAYER);

  public ModelStyle {
    Objects.requireNonNull(headNorm, "headNorm");
    if (defaultRopeTheta < 0) {
      throw new IllegalArgumentException("defaultRopeTheta must be >= 0, got " + defaultRopeTheta);
    }
  }

  /**
   * The style of {@code model}: rotary when it has an embedding without learned positions ({@code
   * positions} 0, the rule the cost model's {@code ModelFeatures} uses), base 10000 where a block
   * names none; an RMSNorm head when its first block says {@code bias} 0.
   */
  public static ModelStyle of(ModelSpec model) {
    Objects.requireNonNull(model, "model");
    boolean rotary = false;
    NormKind head = null;
    for (LayerSpec layer : model.layers()) {
      if (layer.shape() instanceof LayerShape.Embedding e && e.positions().orElse(1) == 0) {
        rotary = true;
      }
      if (head == null && layer.shape() instanceof LayerShape.TransformerBlock b) {
        head = normOf(b);
      }
    }
    return new ModelStyle(
        rotary ? TransformerConfig.DEFAULT_ROPE_THETA : 0, head == null ? NormKind.LAYER : head);
  }

  /**
   * A block's norm: RMSNorm when its {@code bias} is 0 (the documented meaning of the key: Llama
   * style, no GPT-2 biases), a layer norm when it is 1 or absent.
   */
  public static NormKind normOf(LayerShape.TransformerBlock block) {
    return block.bias().orElse(1) == 0 ? NormKind.RMS : NormKind.LAYER;
  }
}
