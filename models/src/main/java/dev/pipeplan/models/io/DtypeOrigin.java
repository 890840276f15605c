package dev.pipeplan.models.io;

import dev.pipeplan.models.DType;
import dev.pipeplan.models.zoo.Zoo;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a model's dtype, which the plan and simulate commands train in, comes from: the zoo entry,
 * a model file's {@code dtype} field (or its default), a PipeDream graph (fp32), or a Hugging Face
 * {@code config.json}'s {@code torch_dtype} (or the model type's default). A {@code torch_dtype} is
 * the dtype the checkpoint was saved in, which is often fp32 for a model trained in bf16 or fp16:
 * the one origin whose dtype may not be the training dtype the user means.
 *
 * @param description how the dtype was chosen, for output: "torch_dtype float32 in hf/config.json",
 *     "the zoo's"
 * @param checkpointDtype true when the dtype is a Hugging Face config's {@code torch_dtype}
 */
public record DtypeOrigin(String description, boolean checkpointDtype) {
  public DtypeOrigin {
    Objects.requireNonNull(description, "description");
  }

  /**
   * The origin of the dtype of the model {@link ModelLoader#load} reads for {@code nameOrPath};
   * call it after the load succeeded.
   */
  public static DtypeOrigin of(String nameOrPath) {
    return of(nameOrPath, Optional.empty());
  }

  /** As {@link #of(String)}, or the {@code --dtype} option when it was given. */
  public static DtypeOrigin of(String nameOrPath, Optional<DType> option) {
    if (option.isPresent()) {
      return new DtypeOrigin("--dtype " + option.get().id(), false);
    }
    if (Zoo.contains(nameOrPath == null ? "" : nameOrPath.trim())) {
      return new DtypeOrigin("the zoo model's", false);
    }
    Optional<Path> input = ModelLoader.inputFile(nameOrPath);
    if (input.isEmpty()) {
      return new DtypeOrigin("the model's", false);
    }
    Path file = input.get();
    String text = InputNode.readText(file);
    if (PipeDreamGraph.looksLike(text)) {
      return new DtypeOrigin("a PipeDream graph's, always fp32", false);
    }
    InputNode root = InputNode.parse(file.toString(), text, InputNode.isYaml(file));
    if (root.isObject() && root.has("layers")) {
      return root.has("dtype")
          ? new DtypeOrigin("the dtype field of " + file, false)
          : new DtypeOrigin("the default of a model file without a dtype field, " + file, false);
    }
    Optional<String> torchDtype = root.optionalString("torch_dtype");
    if (torchDtype.isPresent()) {
      return new DtypeOrigin("torch_dtype " + torchDtype.get() + " in " + file, true);
    }
    String type = root.optionalString("model_type").orElse("");
    return new DtypeOrigin(
        "the default for model_type "
            + (type.isEmpty() ? "(none)" : type)
            + ": "
            + file
            + " has no torch_dtype",
        false);
  }
}
