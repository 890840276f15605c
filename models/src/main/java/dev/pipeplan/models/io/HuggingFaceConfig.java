package dev.pipeplan.models.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelLimits;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.zoo.ProjectionBiases;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.TransformerLayers;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Imports a Hugging Face {@code config.json}: GPT-2 ({@code n_embd}, {@code n_layer}, ...), the
 * Llama family (Llama, Mistral, Qwen2, Qwen3 and others with {@code hidden_size}, {@code
 * num_key_value_heads}, a gated SiLU MLP and rotary positions; an explicit {@code head_dim}, q/k/v
 * biases and Qwen3's q/k norms) and BERT/RoBERTa encoders. The architecture becomes a {@link
 * TransformerConfig}, so an imported model and the zoo entry of the same architecture have
 * identical layers. What the dense block would mis-price (experts, latent attention, composite
 * configs, Gemma 2/3, a sequence past a sliding window in use) is refused by the field that shows
 * it.
 */
public final class HuggingFaceConfig {
  /**
   * Longest default sequence taken from {@code max_position_embeddings}; longer contexts need an
   * explicit --seq.
   */
  public static final int MAX_DEFAULT_SEQUENCE = 8192;

  private static final List<String> LLAMA_LIKE =
      List.of(
          "llama", "mistral", "qwen2", "qwen3", "internlm2", "yi", "deepseek", "olmo", "granite");

  private HuggingFaceConfig() {}

  /** True when a parsed JSON object looks like a Hugging Face model configuration. */
  public static boolean looksLike(InputNode root) {
    return root.isObject()
        && (root.has("model_type")
            || root.has("architectures")
            || root.has("n_embd")
            || root.has("hidden_size"));
  }

  public static ModelSpec read(Path file, int sequenceLength) {
    InputNode root = InputNode.read(file);
    return toModel(root, defaultName(root, file), sequenceLength);
  }

  /** The model at a sequence length (0 = the configuration's default). */
  public static ModelSpec toModel(TransformerConfig config, int sequenceLength) {
    return TransformerLayers.build(config, sequenceLength);
  }

  /**
   * The model a configuration describes at a sequence length (0 = the configuration's default,
   * capped at its sliding window).
   *
   * @throws dev.pipeplan.models.BadInputException when the sequence is longer than a sliding
   *     attention window the configuration turns on: pipeplan prices full causal attention, which
   *     past the window would overstate the attention's FLOPs and memory
   */
  public static ModelSpec toModel(InputNode root, String name, int sequenceLength) {
    return toModel(root, name, sequenceLength, Optional.empty());
  }

  /**
   * As {@link #toModel(InputNode, String, int)}, trained in {@code dtype} when given instead of the
   * configuration's {@code torch_dtype} (the dtype its checkpoint was saved in).
   */
  public static ModelSpec toModel(
      InputNode root, String name, int sequenceLength, Optional<DType> dtype) {
    TransformerConfig config = architecture(root, name);
    config = dtype.map(config::withDtype).orElse(config);
    OptionalInt window = slidingWindow(root);
    if (window.isPresent() && sequenceLength > window.getAsInt()) {
      throw root.error(
          "sliding_window",
          "("
              + window.getAsInt()
              + ") is in use and the sequence length ("
              + sequenceLength
              + ") exceeds it; pipeplan prices full causal attention, which past the window"
              + " overstates the attention's FLOPs and memory. Maybe use --seq "
              + window.getAsInt()
              + " or fewer.");
    }
    return toModel(config, sequenceLength);
  }

  /** The architecture a configuration describes. */
  public static TransformerConfig architecture(InputNode root, String name) {
    if (!root.isObject()) {
      throw root.error("must be a JSON object (a Hugging Face config.json)");
    }
    String type = root.optionalString("model_type").orElse("").toLowerCase(Locale.ROOT);
    refuseWhatTheBlockCannotModel(root, type);
    if (type.equals("gpt2") || (type.isEmpty() && root.has("n_embd"))) {
      return gpt2(root, name);
    }
    if (type.equals("bert") || type.equals("roberta")) {
      return bert(root, name);
    }
    String act = root.optionalString("hidden_act").orElse("").toLowerCase(Locale.ROOT);
    if (LLAMA_LIKE.contains(type) || act.equals("silu") || act.equals("swish")) {
      return llama(root, name, type);
    }
    throw root.error(
        "model_type",
        "'"
            + type
            + "' is not supported; supported: gpt2, bert, roberta and"
            + " Llama-style models (llama, mistral, qwen2, qwen3, ...: hidden_act silu)");
  }

  /**
   * Refuses, by the field that shows it, an architecture that the dense block would price wrongly
   * without a word: a composite (multimodal) config, experts, DeepSeek's latent attention, Gemma
   * 2/3's alternating windows and soft-capping.
   */
  private static void refuseWhatTheBlockCannotModel(InputNode root, String type) {
    for (String nested : List.of("text_config", "vision_config")) {
      if (root.has(nested)) {
        throw root.error(
            nested,
            "is present (model_type '"
                + type
                + "'): composite and multimodal configurations are not supported; pipeplan"
                + " imports the config.json of a text-only decoder");
      }
    }
    if (type.equals("deepseek_v2") || type.equals("deepseek_v3")) {
      throw root.error(
          "model_type",
          "'"
              + type
              + "' is not supported: DeepSeek-V2/V3 use multi-head latent attention"
              + described(root, "kv_lora_rank")
              + " and routed experts"
              + described(root, "n_routed_experts")
              + ", which pipeplan's dense block would price as a dense Llama model");
    }
    for (String experts : List.of("num_local_experts", "num_experts", "n_routed_experts")) {
      if (root.has(experts)) {
        throw root.error(
            experts,
            "is present"
                + described(root, experts)
                + ": mixture-of-experts models are not supported");
      }
    }
    for (String lowRank : List.of("kv_lora_rank", "q_lora_rank")) {
      if (root.has(lowRank)) {
        throw root.error(
            lowRank,
            "is present"
                + described(root, lowRank)
                + ": multi-head latent attention (low-rank query/key/value projections) is not"
                + " supported");
      }
    }
    if (type.startsWith("gemma2") || type.startsWith("gemma3")) {
      throw root.error(
          "model_type",
          "'"
              + type
              + "' is not supported: Gemma 2/3 alternate sliding-window and global attention"
              + " layers and soft-cap their logits, which pipeplan's block does not model");
    }
  }

  /** " (field value)" for a field with a scalar value, "" otherwise. */
  private static String described(InputNode root, String field) {
    JsonNode value = root.json().get(field);
    return value != null && value.isValueNode() && !value.isNull()
        ? " (" + field + " " + value.asText() + ")"
        : "";
  }

  /**
   * The sliding attention window a configuration turns on: {@code sliding_window} where it is set
   * and {@code use_sliding_window} is not false. Qwen2 and Qwen3 default {@code use_sliding_window}
   * to false, as the Transformers library does; Mistral-style configs use the window whenever it is
   * set.
   */
  static OptionalInt slidingWindow(InputNode root) {
    if (!root.has("sliding_window")) {
      return OptionalInt.empty();
    }
    String type = root.optionalString("model_type").orElse("").toLowerCase(Locale.ROOT);
    boolean offByDefault = type.equals("qwen2") || type.equals("qwen3");
    if (!root.optionalBoolean("use_sliding_window").orElse(!offByDefault)) {
      return OptionalInt.empty();
    }
    return OptionalInt.of(positiveInt(root, "sliding_window", Integer.MAX_VALUE));
  }

  private static TransformerConfig gpt2(InputNode root, String name) {
    int hidden = positiveInt(root, "n_embd", ModelLimits.MAX_HIDDEN);
    int blocks = positiveInt(root, "n_layer", ModelLimits.MAX_LAYERS);
    int heads = positiveInt(root, "n_head", ModelLimits.MAX_HEADS);
    int positions =
        root.has("n_positions")
            ? positiveInt(root, "n_positions", ModelLimits.MAX_SEQUENCE)
            : positiveInt(root, "n_ctx", ModelLimits.MAX_SEQUENCE);
    int vocab = positiveInt(root, "vocab_size", ModelLimits.MAX_VOCAB);
    int ffn = root.has("n_inner") ? positiveInt(root, "n_inner", ModelLimits.MAX_FFN) : 4 * hidden;
    boolean tied = root.optionalBoolean("tie_word_embeddings").orElse(true);
    checkHeads(root, "n_embd", hidden, "n_head", heads);
    return new TransformerConfig(
        name,
        vocab,
        hidden,
        blocks,
        heads,
        heads,
        ffn,
        positions,
        false,
        true,
        tied,
        positions,
        dtype(root, DType.FP16),
        dropout(root, 0.1, "resid_pdrop", "attn_pdrop", "embd_pdrop"));
  }

  private static TransformerConfig bert(InputNode root, String name) {
    int hidden = positiveInt(root, "hidden_size", ModelLimits.MAX_HIDDEN);
    int heads = positiveInt(root, "num_attention_heads", ModelLimits.MAX_HEADS);
    int positions = positiveInt(root, "max_position_embeddings", ModelLimits.MAX_SEQUENCE);
    checkHeads(root, "hidden_size", hidden, "num_attention_heads", heads);
    return new TransformerConfig(
        name,
        positiveInt(root, "vocab_size", ModelLimits.MAX_VOCAB),
        hidden,
        positiveInt(root, "num_hidden_layers", ModelLimits.MAX_LAYERS),
        heads,
        heads,
        positiveInt(root, "intermediate_size", ModelLimits.MAX_FFN),
        positions,
        false,
        true,
        root.optionalBoolean("tie_word_embeddings").orElse(true),
        positions,
        dtype(root, DType.FP16),
        dropout(root, 0.1, "hidden_dropout_prob", "attention_probs_dropout_prob"));
  }

  private static TransformerConfig llama(InputNode root, String name, String type) {
    int hidden = positiveInt(root, "hidden_size", ModelLimits.MAX_HIDDEN);
    int heads = positiveInt(root, "num_attention_heads", ModelLimits.MAX_HEADS);
    int kvHeads =
        root.has("num_key_value_heads")
            ? positiveInt(root, "num_key_value_heads", ModelLimits.MAX_HEADS)
            : heads;
    int headDim;
    if (root.has("head_dim")) {
      headDim = positiveInt(root, "head_dim", ModelLimits.MAX_HIDDEN);
      if ((long) heads * headDim > ModelLimits.MAX_HIDDEN) {
        throw root.error(
            "head_dim",
            "("
                + headDim
                + ") times num_attention_heads ("
                + heads
                + ") must be at most "
                + ModelLimits.MAX_HIDDEN
                + " (pipeplan's limit, see docs/formats.md)");
      }
    } else {
      checkHeads(root, "hidden_size", hidden, "num_attention_heads", heads);
      headDim = hidden / heads;
    }
    if (heads % kvHeads != 0) {
      throw root.error(
          "num_key_value_heads",
          "(" + kvHeads + ") must divide num_attention_heads (" + heads + ")");
    }
    // Rotary positions have no weights: the value only sets the default sequence, capped below.
    int positions = positiveInt(root, "max_position_embeddings", Integer.MAX_VALUE);
    int defaultSequence = Math.min(positions, MAX_DEFAULT_SEQUENCE);
    OptionalInt window = slidingWindow(root);
    if (window.isPresent()) {
      defaultSequence = Math.min(defaultSequence, window.getAsInt());
    }
    return new TransformerConfig(
        name,
        positiveInt(root, "vocab_size", ModelLimits.MAX_VOCAB),
        hidden,
        positiveInt(root, "num_hidden_layers", ModelLimits.MAX_LAYERS),
        heads,
        kvHeads,
        positiveInt(root, "intermediate_size", ModelLimits.MAX_FFN),
        0,
        true,
        false,
        root.optionalBoolean("tie_word_embeddings").orElse(false),
        defaultSequence,
        dtype(root, DType.BF16),
        dropout(root, 0.0, "attention_dropout", "hidden_dropout"),
        headDim,
        projectionBiases(root, type),
        type.equals("qwen3"),
        ropeTheta(root));
  }

  /**
   * The rotary base: {@code rope_theta}, or {@code rope_parameters.rope_theta} (Transformers 5
   * moved it there), else Llama's 10000, rounded to a whole number (every published value is one).
   * {@code rope_scaling} is not read: it stretches the long-context frequencies, which changes no
   * cost, and the executor rotates by the unscaled ones.
   */
  private static long ropeTheta(InputNode root) {
    InputNode holder = root;
    if (!root.has("rope_theta") && root.child("rope_parameters").isPresent()) {
      holder = root.object("rope_parameters");
    }
    // the range first, so that a negative base gets the same message as a zero one
    Optional<InputNode> given = holder.child("rope_theta");
    if (given.isPresent() && given.get().json().isNumber()) {
      double value = given.get().json().asDouble();
      if (!(value >= 1 && value <= 1e15)) {
        throw holder.error("rope_theta", "must be a number from 1 to 1e15, got " + value);
      }
    }
    Optional<Double> theta = holder.optionalNumber("rope_theta");
    if (theta.isEmpty()) {
      return TransformerConfig.DEFAULT_ROPE_THETA;
    }
    if (theta.get() < 1 || theta.get() > 1e15) {
      throw holder.error("rope_theta", "must be a number from 1 to 1e15, got " + theta.get());
    }
    return Math.round(theta.get());
  }

  /**
   * The projection biases of a Llama-style model: Qwen2 always has them on q, k and v (its
   * attention hard-codes them; o and the MLP have none); the others follow {@code attention_bias}
   * (q, k, v and o) and {@code mlp_bias}, both false by default.
   */
  private static ProjectionBiases projectionBiases(InputNode root, String type) {
    if (type.equals("qwen2")) {
      return ProjectionBiases.QKV;
    }
    boolean attention = root.optionalBoolean("attention_bias").orElse(false);
    boolean mlp = root.optionalBoolean("mlp_bias").orElse(false);
    return new ProjectionBiases(attention, attention, mlp);
  }

  /**
   * Whether the model trains with dropout: any of its dropout probabilities is non-zero, or, where
   * the configuration names none, the Transformers library's default for the model type.
   */
  private static boolean dropout(InputNode root, double typeDefault, String... fields) {
    boolean named = false;
    for (String field : fields) {
      if (root.has(field)) {
        named = true;
        double p = root.number(field);
        if (!(p >= 0 && p < 1)) {
          throw root.error(field, "must be a probability from 0 to below 1, got " + p);
        }
        if (p > 0) {
          return true;
        }
      }
    }
    return !named && typeDefault > 0;
  }

  private static void checkHeads(
      InputNode root, String hiddenField, int hidden, String headsField, int heads) {
    if (hidden % heads != 0) {
      throw root.error(
          headsField, "(" + heads + ") must divide " + hiddenField + " (" + hidden + ")");
    }
  }

  private static DType dtype(InputNode root, DType fallback) {
    Optional<String> text = root.optionalString("torch_dtype");
    if (text.isEmpty()) {
      return fallback;
    }
    switch (text.get().toLowerCase(Locale.ROOT)) {
      case "float32":
        return DType.FP32;
      case "float16":
        return DType.FP16;
      case "bfloat16":
        return DType.BF16;
      default:
        throw root.error(
            "torch_dtype",
            "'" + text.get() + "' is not supported; use float32, float16 or bfloat16");
    }
  }

  /** A whole number from 1 to {@code limit} (a {@link ModelLimits} constant). */
  private static int positiveInt(InputNode root, String field, int limit) {
    String note = limit == Integer.MAX_VALUE ? "" : " (pipeplan's limit, see docs/formats.md)";
    root.requireWithin(field, 1, limit, note);
    long v = root.integer(field);
    if (v <= 0 || v > limit) {
      throw root.error(field, "must be between 1 and " + limit + note + ", got " + v);
    }
    return (int) v;
  }

  /**
   * {@code _name_or_path}'s last segment, else the directory holding the file, else the model type.
   */
  static String defaultName(InputNode root, Path file) {
    Optional<String> named = root.optionalString("_name_or_path");
    if (named.isPresent()) {
      String n = named.get().replace('\\', '/');
      n = n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
      String last = n.substring(n.lastIndexOf('/') + 1);
      if (!last.isBlank() && !last.equals(".")) {
        return last;
      }
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null && parent.getFileName() != null) {
      return parent.getFileName().toString();
    }
    return root.optionalString("model_type").orElse("hf-model");
  }
}
