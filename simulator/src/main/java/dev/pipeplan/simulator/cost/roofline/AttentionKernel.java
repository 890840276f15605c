package dev.pipeplan.simulator.cost.roofline;

/** How a transformer block computes its attention core. */
public enum AttentionKernel {
  /** One fused kernel (FlashAttention, cuDNN): no s² scores in memory, its own efficiency. */
  FLASH,
  /** Q·Kᵀ and ·V as batched GEMMs with the scaled, masked softmax between them in memory. */
  EAGER
}
