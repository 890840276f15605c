package dev.pipeplan.models.zoo;

/**
 * Which of a transformer block's linear projections add a bias vector. GPT-2 and BERT bias every
 * projection ({@link #ALL}); the Llama family none ({@link #NONE}); Qwen2 only the query, key and
 * value projections ({@link #QKV}); a Llama-style config may turn on {@code attention_bias} (query,
 * key, value and output) and {@code mlp_bias} (the MLP's projections) on their own.
 *
 * @param qkv biases on the query, key and value projections
 * @param output a bias on the attention's output projection
 * @param mlp biases on the MLP's up (and gate) and down projections
 */
public record ProjectionBiases(boolean qkv, boolean output, boolean mlp) {
  /** No projection has a bias. */
  public static final ProjectionBiases NONE = new ProjectionBiases(false, false, false);

  /** Every projection has a bias. */
  public static final ProjectionBiases ALL = new ProjectionBiases(true, true, true);

  /** Only the query, key and value projections have biases (Qwen2). */
  public static final ProjectionBiases QKV = new ProjectionBiases(true, false, false);

  /** True when no projection has a bias. */
  public boolean none() {
    return !qkv && !output && !mlp;
  }
}
