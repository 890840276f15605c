package dev.pipeplan.models.io;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelLimits;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.Suggestions;
import dev.pipeplan.models.TrainingSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Training settings as a JSON/YAML file (see {@code docs/formats.md}, "Model files"): {@code
 * globalBatch}, {@code sequenceLength}, {@code dtype}, {@code optimizer} (a name or an object) and
 * {@code recompute}.
 */
public final class TrainingFile {
  private static final List<String> FIELDS =
      List.of("globalBatch", "sequenceLength", "dtype", "optimizer", "recompute");
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
    Optimizer optimizer = Optimizer.adamMixedPrecision();
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
    boolean recompute = root.optionalBoolean("recompute").orElse(false);
    return new TrainingSpec(globalBatch, (int) seq, dtype, optimizer, recompute);
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
    root.put("recompute", spec.recompute());
    return root;
  }
}
