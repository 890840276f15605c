package dev.pipeplan.simulator.cost.roofline;

/** How a transformer block computes its attention core. */
public enum AttentionKernel {
  /** One fused kernel (FlashAttention, cuDNN): no s² scores in memory, its own efficiency. */
  FLASH,
  /**
   * A fused kernel in FlashAttention-2's implementation: on Hopper and later GPUs a share of {@link
   * #FLASH}'s efficiency ({@link RooflineParameters#flashAttention2Share}).
   */
  FLASH2,
  /** Q·Kᵀ and ·V as batched GEMMs with the scaled, masked softmax between them in memory. */
  EAGER
}
