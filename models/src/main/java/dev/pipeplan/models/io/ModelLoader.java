package dev.pipeplan.models.io;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Suggestions;
import dev.pipeplan.models.zoo.Zoo;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where every command gets its model: a zoo name, or a file whose format is detected from its
 * content (a Hugging Face {@code config.json}, or a directory holding one; a PipeDream {@code
 * graph.txt}; pipeplan's own JSON or YAML model file).
 */
public final class ModelLoader {
  private ModelLoader() {}

  /** The model at its default sequence length. */
  public static ModelSpec load(String nameOrPath) {
    return load(nameOrPath, 0);
  }

  /**
   * The model at a sequence length.
   *
   * @param nameOrPath a zoo name ("gpt2-xl", case-insensitive) or a file or directory
   * @param sequenceLength tokens per sample, 0 for the model's default; only zoo transformers and
   *     Hugging Face configurations can change it, a model file keeps its own
   * @throws BadInputException for an unknown name (suggesting the closest zoo name), a missing or
   *     malformed file
   */
  public static ModelSpec load(String nameOrPath, int sequenceLength) {
    return load(nameOrPath, sequenceLength, 0);
  }

  /**
   * As {@link #load(String, int)}, with the batch size a PipeDream {@code graph.txt} was profiled
   * at.
   *
   * @param pipeDreamBatchSize the profile's batch size, 0 for {@link
   *     PipeDreamGraph#DEFAULT_BATCH_SIZE}; anything else is bad input unless the model is a
   *     PipeDream graph
   */
  public static ModelSpec load(String nameOrPath, int sequenceLength, int pipeDreamBatchSize) {
    return load(nameOrPath, sequenceLength, pipeDreamBatchSize, Optional.empty());
  }

  /**
   * As {@link #load(String, int, int)}, trained in {@code dtype} when given: a zoo model or a
   * Hugging Face configuration is built in it (activations, weights and the math's rate follow); a
   * pipeplan model file or a PipeDream graph states its layers' sizes in its own dtype, so another
   * one is bad input.
   */
  public static ModelSpec load(
      String nameOrPath, int sequenceLength, int pipeDreamBatchSize, Optional<DType> dtype) {
    Objects.requireNonNull(dtype, "dtype");
    ModelSpec model = loadAs(nameOrPath, sequenceLength, pipeDreamBatchSize, dtype);
    if (dtype.isPresent() && model.dtype() != dtype.get()) {
      throw new BadInputException(
          "--dtype "
              + dtype.get().id()
              + ": "
              + nameOrPath.trim()
              + " states its layers' sizes in its own dtype ("
              + model.dtype().id()
              + "), which pipeplan cannot convert. Maybe change the dtype and sizes in the file, or"
              + " give a zoo name or a Hugging Face config.json, which are built in the dtype"
              + " asked for.");
    }
    return model;
  }

  private static ModelSpec loadAs(
      String nameOrPath, int sequenceLength, int pipeDreamBatchSize, Optional<DType> dtype) {
    Objects.requireNonNull(nameOrPath, "nameOrPath");
    String arg = nameOrPath.trim();
    if (arg.isEmpty()) {
      throw new BadInputException(
          "model must not be empty; give a zoo name (see 'pipeplan models list') or a file");
    }
    if (sequenceLength < 0) {
      throw new BadInputException(
          "sequence length must be >= 0 (0 = the model's default), got " + sequenceLength);
    }
    if (pipeDreamBatchSize < 0) {
      throw new BadInputException(
          "PipeDream batch size must be >= 1 (0 = "
              + PipeDreamGraph.DEFAULT_BATCH_SIZE
              + "), got "
              + pipeDreamBatchSize);
    }
    if (Zoo.contains(arg)) {
      requireNoBatchSize(arg, pipeDreamBatchSize);
      return Zoo.get(arg, sequenceLength, dtype);
    }
    Path path = pathOrNull(arg);
    if (path != null && Files.isDirectory(path)) {
      Path config = path.resolve("config.json");
      if (!Files.isRegularFile(config)) {
        throw new BadInputException(
            arg + ": a directory without config.json; give a model file or a zoo name");
      }
      requireNoBatchSize(arg, pipeDreamBatchSize);
      return loadFile(config, sequenceLength, 0, dtype);
    }
    if (path != null && Files.isRegularFile(path)) {
      return loadFile(path, sequenceLength, pipeDreamBatchSize, dtype);
    }
    if (looksLikePath(arg)) {
      throw new BadInputException(arg + ": no such file");
    }
    throw new BadInputException(
        "model '"
            + arg
            + "' is not in the zoo nor a file."
            + Suggestions.maybe(arg, Zoo.names())
            + " See 'pipeplan models list'.");
  }

  /**
   * The file {@link #load} reads for this argument: the model file, or the {@code config.json} of a
   * directory; empty for a zoo name. Commands use it to refuse an output that would replace the
   * model they were given.
   */
  public static Optional<Path> inputFile(String nameOrPath) {
    String arg = nameOrPath == null ? "" : nameOrPath.trim();
    if (arg.isEmpty() || Zoo.contains(arg)) {
      return Optional.empty();
    }
    Path path = pathOrNull(arg);
    if (path != null && Files.isDirectory(path)) {
      path = path.resolve("config.json");
    }
    return path != null && Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
  }

  /** Reads a model file of any supported format, detected from its content. */
  public static ModelSpec loadFile(Path file, int sequenceLength) {
    return loadFile(file, sequenceLength, 0, Optional.empty());
  }

  private static ModelSpec loadFile(
      Path file, int sequenceLength, int pipeDreamBatchSize, Optional<DType> dtype) {
    String text = InputNode.readText(file);
    if (PipeDreamGraph.looksLike(text)) {
      ModelSpec model =
          PipeDreamGraph.parse(
              file.toString(),
              text,
              ModelFile.defaultName(file),
              pipeDreamBatchSize == 0 ? PipeDreamGraph.DEFAULT_BATCH_SIZE : pipeDreamBatchSize);
      return keepSequence(file, model, sequenceLength);
    }
    requireNoBatchSize(file.toString(), pipeDreamBatchSize);
    InputNode root = InputNode.parse(file.toString(), text, InputNode.isYaml(file));
    if (root.isObject() && root.has("layers")) {
      return keepSequence(
          file, ModelFile.fromNode(root, ModelFile.defaultName(file)), sequenceLength);
    }
    if (HuggingFaceConfig.looksLike(root)) {
      return HuggingFaceConfig.toModel(
          root, HuggingFaceConfig.defaultName(root, file), sequenceLength, dtype);
    }
    throw new BadInputException(
        file
            + ": not a model file: expected 'layers' (a pipeplan model file),"
            + " 'model_type' or 'hidden_size' (a Hugging Face config.json), or PipeDream graph.txt node lines");
  }

  /**
   * Writes our model file: YAML when the name ends in .yaml or .yml, JSON otherwise; atomically.
   */
  public static void write(ModelSpec model, Path file) {
    ModelFile.write(model, file);
  }

  private static void requireNoBatchSize(String model, int pipeDreamBatchSize) {
    if (pipeDreamBatchSize != 0) {
      throw new BadInputException(
          "a batch size ("
              + pipeDreamBatchSize
              + ") applies only to PipeDream graph.txt"
              + " files, and '"
              + model
              + "' is not one. Maybe drop --batch-size.");
    }
  }

  private static ModelSpec keepSequence(Path file, ModelSpec model, int sequenceLength) {
    if (sequenceLength != 0 && sequenceLength != model.sequenceLength()) {
      throw new BadInputException(
          file
              + ": a model file fixes its layers, so its sequence length ("
              + model.sequenceLength()
              + ") cannot be changed to "
              + sequenceLength
              + ". Maybe drop --seq, or use a zoo name or a Hugging Face config.json.");
    }
    return model;
  }

  private static Path pathOrNull(String arg) {
    try {
      return Path.of(arg);
    } catch (InvalidPathException e) {
      return null;
    }
  }

  private static boolean looksLikePath(String arg) {
    String a = arg.toLowerCase(Locale.ROOT);
    return a.contains("/")
        || a.contains("\\")
        || a.endsWith(".json")
        || a.endsWith(".yaml")
        || a.endsWith(".yml")
        || a.endsWith(".txt");
  }
}
