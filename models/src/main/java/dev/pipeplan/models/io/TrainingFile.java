package dev.pipeplan.models.io;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.ModelLimits;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.Suggestions;
import dev.pipeplan.models.TrainingSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Training settings as a JSON/YAML file (see {@code docs/formats.md}, "Model files"): {@code
 * globalBatch}, {@code sequenceLength}, {@code dtype}, {@code optimizer} (a name or an object) and
 * the memory modes {@code recompute} (none, selective, full; {@code true} and {@code false} from
 * older files mean full and none), {@code attention} (flash, eager), {@code optimizerSharding}
 * (none, zero1, zero2, zero3), {@code sequenceParallel} and {@code tensorParallelOverlap}.
 */
public final class TrainingFile {
  private static final List<String> FIELDS =
      List.of(
          "globalBatch",
          "sequenceLength",
          "dtype",
          "optimizer",
          "recompute",
          "attention",
          "optimizerSharding",
          "sequenceParallel",
          "tensorParallelOverlap",
          "blockingSends",
          "gradientSyncAfterBackward",
          "gradientAllReduce",
          "gradientAccumulation",
          "crossEntropy");
  private static final List<String> OPTIMIZER_FIELDS =
      List.of("name", "gradientBytesPerParameter", "stateBytesPerParameter");

  private TrainingFile() {}

  public static TrainingSpec read(Path file) {
    return fromNode(InputNode.read(file));
  }

  public static TrainingSpec fromNode(InputNode root) {
    if (!root.isObject()) {
      throw root.error("must be an object with at least 'globalBatch'");
    }
    for (String field : root.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw root.error(field, "is not a known field." + Suggestions.maybe(field, FIELDS));
      }
    }
    int globalBatch =
        root.optionalPositiveInt("globalBatch")
            .orElseThrow(() -> root.error("globalBatch", "is missing"));
    long seq = root.optionalInteger("sequenceLength", ModelLimits.MAX_SEQUENCE).orElse(0L);
    DType dtype = DType.BF16;
    Optional<String> dtypeText = root.optionalString("dtype");
    if (dtypeText.isPresent()) {
      try {
        dtype = DType.parse("dtype", dtypeText.get());
      } catch (BadInputException e) {
        throw root.error(
            "dtype",
            "'" + dtypeText.get() + "' is not a dtype; use one of fp32, tf32, fp16, bf16, fp8");
      }
    }
    Optimizer optimizer = Optimizer.defaultFor(dtype);
    Optional<InputNode> opt = root.child("optimizer");
    if (opt.isPresent() && opt.get().json().isTextual()) {
      String name = opt.get().json().asText();
      try {
        optimizer = Optimizer.parse(name);
      } catch (BadInputException e) {
        throw root.error(
            "optimizer",
            "'"
                + name
                + "' is unknown; use adam-mixed, adam-fp32 or sgd, or an object"
                + " {name, gradientBytesPerParameter, stateBytesPerParameter}");
      }
    } else if (opt.isPresent()) {
      InputNode o = root.object("optimizer");
      for (String field : o.fieldNames()) {
        if (!OPTIMIZER_FIELDS.contains(field)) {
          throw o.error(
              field, "is not a known field." + Suggestions.maybe(field, OPTIMIZER_FIELDS));
        }
      }
      optimizer =
          new Optimizer(
              o.string("name"),
              intField(o, "gradientBytesPerParameter"),
              intField(o, "stateBytesPerParameter"));
    }
    Recompute recompute = Recompute.NONE;
    Optional<InputNode> recomputeNode = root.child("recompute");
    if (recomputeNode.isPresent() && recomputeNode.get().json().isBoolean()) {
      recompute = recomputeNode.get().json().asBoolean() ? Recompute.FULL : Recompute.NONE;
    } else if (recomputeNode.isPresent()) {
      String text = root.optionalString("recompute").orElseThrow();
      recompute = parsed(root, "recompute", () -> Recompute.parse("recompute", text));
    }
    Attention attention =
        optional(root, "attention", Attention.FLASH, t -> Attention.parse("attention", t));
    OptimizerSharding sharding =
        optional(
            root,
            "optimizerSharding",
            OptimizerSharding.NONE,
            t -> OptimizerSharding.parse("optimizerSharding", t));
    boolean sequenceParallel = root.optionalBoolean("sequenceParallel").orElse(false);
    boolean tensorParallelOverlap = root.optionalBoolean("tensorParallelOverlap").orElse(false);
    boolean blockingSends = root.optionalBoolean("blockingSends").orElse(false);
    boolean syncAfter = root.optionalBoolean("gradientSyncAfterBackward").orElse(false);
    boolean allReduce = root.optionalBoolean("gradientAllReduce").orElse(false);
    GradientAccumulation accumulation =
        optional(
            root,
            "gradientAccumulation",
            GradientAccumulation.FUSED,
            t -> GradientAccumulation.parse("gradientAccumulation", t));
    CrossEntropy crossEntropy =
        optional(
            root, "crossEntropy", CrossEntropy.UNFUSED, t -> CrossEntropy.parse("crossEntropy", t));
    return new TrainingSpec(
        globalBatch,
        (int) seq,
        dtype,
        optimizer,
        recompute,
        attention,
        sharding,
        sequenceParallel,
        tensorParallelOverlap,
        blockingSends,
        syncAfter,
        allReduce,
        accumulation,
        crossEntropy);
  }

  /** An optional text field parsed, or {@code absent} without it; a bad value is an error there. */
  private static <T> T optional(
      InputNode root, String field, T absent, java.util.function.Function<String, T> parser) {
    Optional<String> text = root.optionalString(field);
    return text.isPresent() ? parsed(root, field, () -> parser.apply(text.get())) : absent;
  }

  /** A parsed value, or the parser's message as an error at the field (with the file's name). */
  private static <T> T parsed(InputNode root, String field, Supplier<T> parser) {
    try {
      return parser.get();
    } catch (BadInputException e) {
      throw root.error(field, e.getMessage());
    }
  }

  private static int intField(InputNode node, String field) {
    long v = node.integer(field);
    if (v > 1024) {
      throw node.error(field, "must be at most 1024, got " + v);
    }
    return (int) v;
  }

  /** The settings as a tree that {@link #fromNode} reads back to an equal spec. */
  public static ObjectNode toTree(TrainingSpec spec) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("globalBatch", spec.globalBatch());
    root.put("sequenceLength", spec.sequenceLength());
    root.put("dtype", spec.dtype().id());
    ObjectNode o = root.putObject("optimizer");
    o.put("name", spec.optimizer().name());
    o.put("gradientBytesPerParameter", spec.optimizer().gradientBytesPerParameter());
    o.put("stateBytesPerParameter", spec.optimizer().stateBytesPerParameter());
    root.put("recompute", spec.recompute().id());
    root.put("attention", spec.attention().id());
    root.put("optimizerSharding", spec.optimizerSharding().id());
    root.put("sequenceParallel", spec.sequenceParallel());
    root.put("tensorParallelOverlap", spec.tensorParallelOverlap());
    if (spec.blockingSends()) {
      root.put("blockingSends", true);
    }
    if (spec.gradientSyncAfterBackward()) {
      root.put("gradientSyncAfterBackward", true);
    }
    if (spec.gradientAllReduce()) {
      root.put("gradientAllReduce", true);
    }
    if (spec.gradientAccumulation() != GradientAccumulation.FUSED) {
      root.put("gradientAccumulation", spec.gradientAccumulation().id());
    }
    if (spec.crossEntropy() != CrossEntropy.UNFUSED) {
      root.put("crossEntropy", spec.crossEntropy().id());
    }
    return root;
  }
}
