package dev.pipeplan.executor.core.layers;

/** Which norm a block or a head applies before its projections. */
public enum NormKind {
  /** Layer norm with gain and shift (GPT-2). */
  LAYER,
  /** RMSNorm with a gain only (Llama, Mistral, Qwen). */
  RMS
}
