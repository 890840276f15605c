package dev.pipeplan.models.zoo;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Suggestions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The built-in models, in a fixed order. Transformer entries come from {@link TransformerConfig}s
 * (the published architecture numbers) through {@link TransformerLayers}; parameter counts match
 * the published ones (GPT-2 XL 1,557,611,200; Llama-2-7B 6,738,415,616; GPT-3 175B about 174.6
 * billion).
 */
public final class Zoo {
  private static final int GPT2_VOCAB = 50257;

  private static final List<Entry> ENTRIES =
      List.of(
          transformer(
              TransformerConfig.gpt("gpt2-small", GPT2_VOCAB, 768, 12, 12, 1024, 1024, DType.FP16),
              "GPT-2 small (124M), Radford et al. 2019"),
          transformer(
              TransformerConfig.gpt(
                  "gpt2-medium", GPT2_VOCAB, 1024, 24, 16, 1024, 1024, DType.FP16),
              "GPT-2 medium (355M)"),
          transformer(
              TransformerConfig.gpt("gpt2-large", GPT2_VOCAB, 1280, 36, 20, 1024, 1024, DType.FP16),
              "GPT-2 large (774M)"),
          transformer(
              TransformerConfig.gpt("gpt2-xl", GPT2_VOCAB, 1600, 48, 25, 1024, 1024, DType.FP16),
              "GPT-2 XL (1.56B)"),
          transformer(
              TransformerConfig.gpt("gpt3-1.3b", GPT2_VOCAB, 2048, 24, 16, 2048, 2048, DType.FP16),
              "GPT-3 XL (1.3B), Brown et al. 2020; 16 heads of 128"),
          transformer(
              TransformerConfig.gpt("gpt3-6.7b", GPT2_VOCAB, 4096, 32, 32, 2048, 2048, DType.FP16),
              "GPT-3 6.7B"),
          transformer(
              TransformerConfig.gpt("gpt3-13b", GPT2_VOCAB, 5120, 40, 40, 2048, 2048, DType.FP16),
              "GPT-3 13B; hidden 5120 (the paper's 5140 is not a multiple of its 40 heads)"),
          transformer(
              TransformerConfig.gpt("gpt3-175b", GPT2_VOCAB, 12288, 96, 96, 2048, 2048, DType.FP16),
              "GPT-3 175B"),
          transformer(
              TransformerConfig.llama(
                  "llama2-7b", 32000, 4096, 32, 32, 32, 11008, 4096, DType.BF16),
              "Llama-2 7B, Touvron et al. 2023"),
          transformer(
              TransformerConfig.llama(
                  "llama2-13b", 32000, 5120, 40, 40, 40, 13824, 4096, DType.BF16),
              "Llama-2 13B"),
          transformer(
              TransformerConfig.llama(
                  "llama2-70b", 32000, 8192, 80, 64, 8, 28672, 4096, DType.BF16),
              "Llama-2 70B, grouped-query attention (8 key/value heads)"),
          transformer(
              TransformerConfig.llama("llama3-8b", 128256, 4096, 32, 32, 8, 14336, 8192, DType.BF16)
                  .withRopeTheta(500_000),
              "Llama-3 8B, grouped-query attention (8 key/value heads)"),
          transformer(
              TransformerConfig.llama(
                      "llama3-70b", 128256, 8192, 80, 64, 8, 28672, 8192, DType.BF16)
                  .withRopeTheta(500_000),
              "Llama-3 70B, grouped-query attention (8 key/value heads)"),
          transformer(
              TransformerConfig.llama(
                      "llama3.1-405b", 128256, 16384, 126, 128, 8, 53248, 8192, DType.BF16)
                  .withRopeTheta(500_000),
              "Llama 3.1 405B (Dubey et al. 2024), 126 blocks, 8 key/value heads"),
          transformer(
              new TransformerConfig(
                  "bert-large",
                  30522,
                  1024,
                  24,
                  16,
                  16,
                  4096,
                  512,
                  false,
                  true,
                  true,
                  512,
                  DType.FP16),
              "BERT-large encoder (334M without pooler and token types), masked-LM head"),
          new Entry(
              "vgg16",
              "VGG-16 on 224x224 images (138M), the CNN of the PipeDream paper",
              null,
              (seq, dtype) -> {
                if (seq != 0) {
                  throw new BadInputException(
                      "model 'vgg16' has no sequence length; got --seq " + seq);
                }
                return Vgg16.build("vgg16", dtype.orElse(DType.FP32));
              }),
          new Entry(
              "resnet50",
              "ResNet-50 on 224x224 images (25.6M), sixteen bottleneck blocks",
              null,
              (seq, dtype) -> {
                if (seq != 0) {
                  throw new BadInputException(
                      "model 'resnet50' has no sequence length; got --seq " + seq);
                }
                return ResNet50.build("resnet50", dtype.orElse(DType.FP32));
              }),
          transformer(
              new TransformerConfig(
                  "gpt-tiny", 256, 64, 8, 4, 4, 256, 64, false, true, true, 32, DType.FP32),
              "tiny GPT for the CPU executor: runs forward and backward in milliseconds"),
          transformer(
              new TransformerConfig(
                  "gpt-small-cpu", 512, 256, 8, 8, 8, 1024, 256, false, true, true, 64, DType.FP32),
              "small GPT for CPU runs that take a few seconds per iteration"),
          transformer(
              TransformerConfig.llama("llama-tiny-cpu", 512, 256, 8, 8, 2, 688, 64, DType.FP32),
              "small Llama for the CPU executor (GQA 8/2, SwiGLU, RoPE, RMSNorm, untied head):"
                  + " gpt-small-cpu's size"));

  private Zoo() {}

  /**
   * A zoo entry: its name, a one-line description and how to build it at a sequence length (0 =
   * default).
   */
  public record Entry(String name, String description, TransformerConfig config, Builder builder) {
    public Entry {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(description, "description");
      Objects.requireNonNull(builder, "builder");
    }

    public ModelSpec build(int sequenceLength) {
      return builder.build(sequenceLength, Optional.empty());
    }

    /** The model at a sequence length, trained in {@code dtype} when given. */
    public ModelSpec build(int sequenceLength, Optional<DType> dtype) {
      return builder.build(sequenceLength, dtype);
    }

    /** The transformer architecture, where the entry is a transformer. */
    public Optional<TransformerConfig> transformer() {
      return Optional.ofNullable(config);
    }
  }

  /** Builds a model at a sequence length (0 = the model's default). */
  @FunctionalInterface
  public interface Builder {
    /** The model at a sequence length (0 = its default), in {@code dtype} when given. */
    ModelSpec build(int sequenceLength, Optional<DType> dtype);
  }

  private static Entry transformer(TransformerConfig config, String description) {
    return new Entry(
        config.name(),
        description,
        config,
        (seq, dtype) -> TransformerLayers.build(dtype.map(config::withDtype).orElse(config), seq));
  }

  /** Every entry, in the zoo's fixed order. */
  public static List<Entry> entries() {
    return ENTRIES;
  }

  /** Every model name, in the zoo's fixed order. */
  public static List<String> names() {
    List<String> names = new ArrayList<>(ENTRIES.size());
    for (Entry e : ENTRIES) {
      names.add(e.name());
    }
    return List.copyOf(names);
  }

  /** The entry of a name (case-insensitive; "gpt2" is an alias of "gpt2-small"). */
  public static Optional<Entry> find(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String key = name.trim().toLowerCase(Locale.ROOT);
    if (key.equals("gpt2")) {
      key = "gpt2-small";
    }
    for (Entry e : ENTRIES) {
      if (e.name().equals(key)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  public static boolean contains(String name) {
    return find(name).isPresent();
  }

  /** The model at its default sequence length. */
  public static ModelSpec get(String name) {
    return get(name, 0);
  }

  /**
   * The model at a sequence length.
   *
   * @throws BadInputException for an unknown name (the message suggests the closest one)
   */
  public static ModelSpec get(String name, int sequenceLength) {
    return get(name, sequenceLength, Optional.empty());
  }

  /** The model at a sequence length, trained in {@code dtype} when given. */
  public static ModelSpec get(String name, int sequenceLength, Optional<DType> dtype) {
    return find(name).orElseThrow(() -> unknown(name)).build(sequenceLength, dtype);
  }

  static BadInputException unknown(String name) {
    return new BadInputException(
        "model '"
            + name
            + "' is not in the zoo nor a readable file."
            + Suggestions.maybe(name, names())
            + " See 'pipeplan models list'.");
  }
}
