package dev.pipeplan.models.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.ActivationBytes;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelLimits;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Suggestions;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * pipeplan's own model file, JSON or YAML (see {@code docs/formats.md}, "Model files"). A layer is
 * described by FLOPs (analytic), by measured times ({@code forwardMs} and friends), or both. Every
 * byte count is per sample.
 */
public final class ModelFile {
  /** The value of the optional top-level {@code format} field. */
  public static final String FORMAT = "pipeplan-model";

  private static final List<String> TOP_FIELDS =
      List.of(
          "format",
          "name",
          "dtype",
          "sequenceLength",
          "microBatchSize",
          "dropout",
          "layers",
          "totalParameters",
          "forwardFlopsPerSample",
          "trainingFlopsPerSample",
          "savedActivationBytesPerSample");
  private static final List<String> LAYER_FIELDS =
      List.of(
          "name",
          "kind",
          "shape",
          "forwardFlops",
          "backwardInputFlops",
          "backwardWeightFlops",
          "backwardFlops",
          "parameterCount",
          "parameterBytes",
          "savedActivationBytes",
          "activationBytes",
          "activations",
          "outputBytes",
          "forwardMs",
          "backwardMs",
          "backwardInputMs",
          "backwardWeightMs",
          "microBatchSize");

  private static final List<String> ACTIVATION_FIELDS =
      List.of(
          "tensorShardedBytes",
          "sequenceShardedBytes",
          "dropoutMaskBytes",
          "attentionScoreBytes",
          "attentionDropoutBytes",
          "flashStatisticsBytes");

  private ModelFile() {}

  /** Reads a model file (YAML by extension .yaml/.yml, JSON otherwise). */
  public static ModelSpec read(Path file) {
    return fromNode(InputNode.read(file), defaultName(file));
  }

  /** Reads a parsed model file; {@code defaultName} is used when the file has no {@code name}. */
  public static ModelSpec fromNode(InputNode root, String defaultName) {
    if (!root.isObject()) {
      throw root.error("must be an object with 'name', 'dtype' and 'layers'");
    }
    // The totals that 'pipeplan models show --json' adds are recomputed from the layers, so they
    // are ignored here.
    rejectUnknown(root, TOP_FIELDS);
    Optional<String> format = root.optionalString("format");
    if (format.isPresent() && !format.get().equals(FORMAT)) {
      throw root.error("format", "must be '" + FORMAT + "', got '" + format.get() + "'");
    }
    String name = root.optionalString("name").orElse(defaultName);
    DType dtype = root.optionalString("dtype").map(t -> parseDType(root, t)).orElse(DType.FP32);
    long seq = root.optionalInteger("sequenceLength", ModelLimits.MAX_SEQUENCE).orElse(0L);
    int defaultMicroBatch = microBatch(root).orElse(1);
    // false drops every layer's dropout masks: the model trains without dropout.
    boolean dropout = root.optionalBoolean("dropout").orElse(true);
    List<InputNode> items = root.array("layers");
    if (items.isEmpty()) {
      throw root.error("layers", "must list at least one layer");
    }
    if (items.size() > ModelLimits.MAX_LAYERS) {
      throw root.error(
          "layers",
          "lists "
              + items.size()
              + " layers, over pipeplan's limit of "
              + ModelLimits.MAX_LAYERS
              + " (see docs/formats.md)");
    }
    List<LayerSpec> layers = new ArrayList<>(items.size());
    Set<String> names = new HashSet<>();
    for (InputNode item : items) {
      LayerSpec layer = layer(item, dtype, defaultMicroBatch, dropout);
      if (!names.add(layer.name())) {
        throw item.error(
            "name",
            "'" + layer.name() + "' is used by an earlier layer; layer names must be unique");
      }
      layers.add(layer);
    }
    return new ModelSpec(name, layers, dtype, (int) seq);
  }

  private static DType parseDType(InputNode node, String text) {
    try {
      return DType.parse("dtype", text);
    } catch (BadInputException e) {
      throw node.error(
          "dtype", "'" + text + "' is not a dtype; use one of fp32, tf32, fp16, bf16, fp8");
    }
  }

  private static LayerSpec layer(InputNode n, DType dtype, int defaultMicroBatch, boolean dropout) {
    if (!n.isObject()) {
      throw n.error("must be an object with at least 'name' and 'forwardMs' or 'forwardFlops'");
    }
    rejectUnknown(n, LAYER_FIELDS);
    String name = n.string("name");
    LayerKind kind = LayerKind.OTHER;
    Optional<String> kindText = n.optionalString("kind");
    if (kindText.isPresent()) {
      try {
        kind = LayerKind.parse("kind", kindText.get());
      } catch (BadInputException e) {
        throw n.error(
            "kind",
            "'"
                + kindText.get()
                + "' is not a layer kind; use one of embedding,"
                + " transformer_block, mlp, lm_head, conv, pool, linear, norm, other");
      }
    }
    Map<String, Long> shape = new LinkedHashMap<>();
    Optional<InputNode> shapeNode = n.child("shape");
    if (shapeNode.isPresent()) {
      InputNode s = n.object("shape");
      for (String key : s.fieldNames()) {
        shape.put(key, s.optionalInteger(key, shapeLimit(key)).orElseThrow());
      }
    }

    Optional<Double> forwardMs = n.optionalNumber("forwardMs");
    Optional<Double> forwardFlops = n.optionalNumber("forwardFlops");
    if (forwardMs.isEmpty() && forwardFlops.isEmpty()) {
      throw n.error(
          "needs 'forwardMs' (measured) or 'forwardFlops' (analytic); layer '"
              + name
              + "' has neither");
    }
    double fwdFlops = flops(n, "forwardFlops", 1).orElse(0.0);
    double bwdInputFlops;
    double bwdWeightFlops;
    if (n.has("backwardInputFlops") || n.has("backwardWeightFlops")) {
      bwdInputFlops =
          flops(n, "backwardInputFlops", 1).orElseThrow(missing(n, "backwardInputFlops"));
      bwdWeightFlops =
          flops(n, "backwardWeightFlops", 1).orElseThrow(missing(n, "backwardWeightFlops"));
    } else if (n.has("backwardFlops")) {
      bwdInputFlops = flops(n, "backwardFlops", 2).orElseThrow() / 2;
      bwdWeightFlops = bwdInputFlops;
    } else {
      bwdInputFlops = fwdFlops;
      bwdWeightFlops = fwdFlops;
    }

    long parameterCount;
    if (n.has("parameterCount")) {
      parameterCount =
          n.optionalInteger("parameterCount", ModelLimits.MAX_LAYER_PARAMETERS).orElseThrow();
    } else if (n.has("parameterBytes")) {
      // At most 2^53 bytes: adding the dtype's size cannot overflow.
      long bytes = n.optionalInteger("parameterBytes", ModelLimits.MAX_LAYER_BYTES).orElseThrow();
      parameterCount = (bytes + dtype.bytes() - 1) / dtype.bytes();
      if (parameterCount > ModelLimits.MAX_LAYER_PARAMETERS) {
        throw n.error(
            "parameterBytes",
            "("
                + bytes
                + ") is "
                + parameterCount
                + " "
                + dtype.id()
                + " parameters, over pipeplan's limit of "
                + ModelLimits.MAX_LAYER_PARAMETERS
                + " per layer (see docs/formats.md)");
      }
    } else {
      parameterCount = 0;
    }
    long saved =
        n.has("savedActivationBytes")
            ? n.optionalInteger("savedActivationBytes", ModelLimits.MAX_LAYER_BYTES).orElseThrow()
            : n.optionalInteger("activationBytes", ModelLimits.MAX_LAYER_BYTES).orElse(0L);
    ActivationBytes activations = ActivationBytes.ofTotal(saved);
    if (n.has("activations")) {
      activations = activations(n.object("activations"));
      if ((n.has("savedActivationBytes") || n.has("activationBytes"))
          && saved != activations.total()) {
        throw n.error(
            "savedActivationBytes",
            "("
                + saved
                + ") differs from the sum of 'activations' without flashStatisticsBytes ("
                + activations.total()
                + "); give one of them, or both in agreement");
      }
    }
    if (!dropout) {
      activations = activations.withoutDropout();
    }
    saved = activations.total();
    long output = n.optionalInteger("outputBytes", ModelLimits.MAX_LAYER_BYTES).orElse(0L);

    MeasuredTimes measured = null;
    if (forwardMs.isPresent()) {
      int microBatch = microBatch(n).orElse(defaultMicroBatch);
      long fwd = nanos(n, "forwardMs");
      long bwdInput;
      long bwdWeight;
      if (n.has("backwardInputMs") || n.has("backwardWeightMs")) {
        if (n.has("backwardMs")) {
          throw n.error(
              "backwardMs",
              "cannot be given with backwardInputMs/backwardWeightMs; give one or the other");
        }
        bwdInput = nanos(n, "backwardInputMs");
        bwdWeight = nanos(n, "backwardWeightMs");
      } else if (n.has("backwardMs")) {
        bwdInput = nanos(n, "backwardMs");
        bwdWeight = 0;
      } else {
        bwdInput = fwd;
        bwdWeight = fwd;
      }
      measured = new MeasuredTimes(microBatch, fwd, bwdInput, bwdWeight);
    } else if (n.has("backwardMs")
        || n.has("backwardInputMs")
        || n.has("backwardWeightMs")
        || n.has("microBatchSize")) {
      throw n.error("forwardMs", "is missing: measured backward times need the forward time too");
    }
    LayerShape layerShape;
    try {
      layerShape = LayerShape.of(kind, shape);
    } catch (BadInputException e) {
      // the shape's own rules (a block's part, a head's 'slice' without 'slices', heads that do
      // not divide the width) are named with the file and the layer, as every other field is
      throw n.error("shape", "is refused: " + e.getMessage());
    }
    return new LayerSpec(
        name,
        kind,
        layerShape,
        fwdFlops,
        bwdInputFlops,
        bwdWeightFlops,
        parameterCount,
        saved,
        output,
        measured,
        activations);
  }

  /** A layer's {@code activations} object: its saved bytes by part, each 0 when not given. */
  private static ActivationBytes activations(InputNode a) {
    rejectUnknown(a, ACTIVATION_FIELDS);
    long[] parts = new long[ACTIVATION_FIELDS.size()];
    for (int i = 0; i < parts.length; i++) {
      parts[i] =
          a.optionalInteger(ACTIVATION_FIELDS.get(i), ModelLimits.MAX_LAYER_BYTES).orElse(0L);
    }
    try {
      return new ActivationBytes(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]);
    } catch (BadInputException e) {
      throw a.error(e.getMessage());
    }
  }

  /** A measured time in ms as whole nanoseconds; past the limit it would not fit a long. */
  private static long nanos(InputNode n, String field) {
    double ms = n.number(field);
    if (ms > ModelLimits.MAX_LAYER_MILLIS) {
      throw n.error(
          field,
          "must be at most "
              + ModelLimits.MAX_LAYER_MILLIS
              + " ms (pipeplan's limit, see docs/formats.md), got "
              + ms);
    }
    return Math.round(ms * 1e6);
  }

  /** FLOPs up to {@code factor} times the per-pass limit (2 for a whole backward). */
  private static Optional<Double> flops(InputNode n, String field, int factor) {
    Optional<Double> v = n.optionalNumber(field);
    double limit = factor * ModelLimits.MAX_LAYER_FLOPS;
    if (v.isPresent() && v.get() > limit) {
      throw n.error(
          field,
          "must be at most " + limit + " (pipeplan's limit, see docs/formats.md), got " + v.get());
    }
    return v;
  }

  private static Supplier<BadInputException> missing(InputNode n, String field) {
    return () -> n.error(field, "is missing");
  }

  private static Optional<Integer> microBatch(InputNode n) {
    // one range for 0, -1 and 2^24 + 1 alike ("between 0 and ..." read as if 0 were allowed)
    n.requireWithin(
        "microBatchSize", 1, ModelLimits.MAX_BATCH, " (pipeplan's limit, see docs/formats.md)");
    return n.optionalPositiveInt("microBatchSize");
  }

  /** The largest value of a shape key: the architecture limit for the zoo's keys. */
  static long shapeLimit(String key) {
    switch (key) {
      case "hidden":
        return ModelLimits.MAX_FFN; // an mlp layer's "hidden" is its inner size
      case "ffn":
        return ModelLimits.MAX_FFN;
      case "heads":
      case "kvHeads":
        return ModelLimits.MAX_HEADS;
      case "headDim":
        return ModelLimits.MAX_HIDDEN;
      case "seq":
      case "positions":
        return ModelLimits.MAX_SEQUENCE;
      case "vocab":
        return ModelLimits.MAX_VOCAB;
      default:
        return ModelLimits.MAX_SHAPE_VALUE;
    }
  }

  private static void rejectUnknown(InputNode node, List<String> known) {
    for (String field : node.fieldNames()) {
      if (!known.contains(field)) {
        throw node.error(field, "is not a known field." + Suggestions.maybe(field, known));
      }
    }
  }

  /**
   * The model as our file's tree: what {@link #write} writes and {@link #read} reads back to an
   * equal model.
   */
  public static ObjectNode toTree(ModelSpec model) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    root.put("format", FORMAT);
    root.put("name", model.name());
    root.put("dtype", model.dtype().id());
    root.put("sequenceLength", model.sequenceLength());
    ArrayNode layers = root.putArray("layers");
    for (LayerSpec l : model.layers()) {
      ObjectNode o = layers.addObject();
      o.put("name", l.name());
      o.put("kind", l.kind().id());
      if (!l.shape().values().isEmpty()) {
        ObjectNode shape = o.putObject("shape");
        l.shape().values().forEach(shape::put);
      }
      o.put("forwardFlops", l.forwardFlops());
      o.put("backwardInputFlops", l.backwardInputFlops());
      o.put("backwardWeightFlops", l.backwardWeightFlops());
      o.put("parameterCount", l.parameterCount());
      o.put("savedActivationBytes", l.savedActivationBytes());
      ActivationBytes a = l.activations();
      if (!a.totalOnly()) {
        ObjectNode parts = o.putObject("activations");
        parts.put("tensorShardedBytes", a.tensorShardedBytes());
        parts.put("sequenceShardedBytes", a.sequenceShardedBytes());
        parts.put("dropoutMaskBytes", a.dropoutMaskBytes());
        parts.put("attentionScoreBytes", a.attentionScoreBytes());
        parts.put("attentionDropoutBytes", a.attentionDropoutBytes());
        parts.put("flashStatisticsBytes", a.flashStatisticsBytes());
      }
      o.put("outputBytes", l.outputBytes());
      MeasuredTimes m = l.measured();
      if (m != null) {
        o.put("microBatchSize", m.microBatchSize());
        o.put("forwardMs", m.forwardNanos() / 1e6);
        o.put("backwardInputMs", m.backwardInputNanos() / 1e6);
        o.put("backwardWeightMs", m.backwardWeightNanos() / 1e6);
      }
    }
    return root;
  }

  /** The model as stable pretty JSON (with a trailing newline). */
  public static String toJson(ModelSpec model) {
    return Json.write(toTree(model));
  }

  /** The model as YAML. */
  public static String toYaml(ModelSpec model) {
    try {
      return Json.yaml().writeValueAsString(toTree(model));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot write YAML: " + e.getMessage(), e);
    }
  }

  /**
   * Writes the model atomically: YAML when the name ends in .yaml or .yml, JSON otherwise.
   *
   * @throws BadInputException before anything is written, when {@link #read} would refuse the file
   *     for its layer count (see {@link #requireReadableLayerCount})
   */
  public static void write(ModelSpec model, Path file) {
    requireReadableLayerCount(model);
    AtomicFiles.writeString(file, InputNode.isYaml(file) ? toYaml(model) : toJson(model));
  }

  /**
   * Refuses a model with more layers than a model file may list ({@link ModelLimits#MAX_LAYERS}). A
   * Hugging Face config may have that many transformer blocks, and the embedding and head come on
   * top of them: such a model can be planned from the config, but its model file could not be read
   * back.
   *
   * @throws BadInputException naming the model, its layer count and the limit
   */
  public static void requireReadableLayerCount(ModelSpec model) {
    int excess = model.layerCount() - ModelLimits.MAX_LAYERS;
    if (excess > 0) {
      throw new BadInputException(
          "model '"
              + model.name()
              + "' has "
              + model.layerCount()
              + " layers, over the limit of "
              + ModelLimits.MAX_LAYERS
              + " layers in a model file (see docs/formats.md, \"Limits\"), so its model file"
              + " could not be read back and is not written. Maybe remove "
              + excess
              + " layer"
              + (excess == 1 ? "" : "s")
              + " (transformer blocks) from the model.");
    }
  }

  static String defaultName(Path file) {
    String n = file.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot > 0 ? n.substring(0, dot) : n;
  }
}
