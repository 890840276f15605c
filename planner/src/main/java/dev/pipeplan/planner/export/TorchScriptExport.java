package dev.pipeplan.planner.export;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.OwnedFolder;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.simulator.schedule.io.PyTorchCsv;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Writes a plan as a small Python package that trains the plan's GPT with PyTorch's {@code
 * torch.distributed.pipelining} under {@code torchrun} and traces every action ({@code
 * docs/pytorch.md}): {@code run_pipeline.py} and {@code pipeplan_plan.py} (the same for every
 * plan), {@code schedule.csv} (the plan's schedule, {@link PyTorchCsv}), {@code stages.json} (the
 * layers with their shapes, the split points and the stage to rank map) and a {@code README.md}.
 * The same plan always gives the same bytes.
 */
public final class TorchScriptExport {
  /** The {@code format} of the stages.json this export writes. */
  public static final String STAGES_FORMAT = "pipeplan-torch-stages";

  /** Where the launcher's Python sources lie among the planner's resources. */
  private static final String RESOURCES = "/dev/pipeplan/planner/export/torchscript/";

  static final String LAUNCHER = "run_pipeline.py";
  static final String PLAN_MODULE = "pipeplan_plan.py";
  static final String SCHEDULE_CSV = "schedule.csv";
  static final String STAGES_JSON = "stages.json";
  static final String README = "README.md";
  static final String DEFAULT_PLAN_FILE = "plan.json";

  private static final List<LayerKind> SUPPORTED =
      List.of(LayerKind.EMBEDDING, LayerKind.TRANSFORMER_BLOCK, LayerKind.LM_HEAD);

  private TorchScriptExport() {}

  /**
   * The files of the export, in a fixed order.
   *
   * @throws BadInputException when the model has a layer the launcher cannot build, tp or cp is
   *     above 1, or the plan has FP8 linears
   */
  public static List<ExportFile> files(Plan plan) {
    return files(plan, DEFAULT_PLAN_FILE);
  }

  /**
   * The files of the export, in a fixed order, with the README's commands naming the plan as {@code
   * planFile}.
   *
   * @param planFile how the README's commands name the plan file, relative to the export folder
   */
  public static List<ExportFile> files(Plan plan, String planFile) {
    Exports.checkPlan(plan);
    Exports.requireWholeLayers(plan, ExportTarget.TORCH_SCRIPT.id());
    Checks.nonBlank("planFile", planFile);
    Exports.refuseContextParallel(
        plan,
        "the torch-script launcher",
        "runs one pipeline replica, every sequence whole on its stage's rank");
    Exports.refuseFp8Linears(
        plan,
        "the torch-script launcher",
        "builds its blocks from torch.nn.Linear in fp32, bf16 or fp16 (run_pipeline.py --dtype)"
            + " and has no FP8 GEMMs");
    checkSupported(plan);
    return List.of(
        new ExportFile(LAUNCHER, resource(LAUNCHER)),
        new ExportFile(PLAN_MODULE, resource(PLAN_MODULE)),
        new ExportFile(SCHEDULE_CSV, PyTorchCsv.write(PlanPrediction.schedule(plan))),
        new ExportFile(STAGES_JSON, stagesJson(plan)),
        new ExportFile(README, readme(plan, planFile)));
  }

  /**
   * Writes the export into {@code outDir}: built whole in a temporary sibling folder, then moved
   * into place, so the folder holds either the previous export or the complete new one. An existing
   * {@code outDir} is replaced only when pipeplan wrote everything in it ({@link OwnedFolder}): the
   * traces a run of the launcher leaves there, or any file of the user's, make it refuse.
   *
   * @return the files written, in order
   */
  public static List<Path> write(Plan plan, Path outDir) {
    return write(plan, outDir, null);
  }

  /**
   * As {@link #write(Plan, Path)}, with the README naming {@code planFile} (relative to {@code
   * outDir}) where its commands need the plan; {@code null} names {@code plan.json}.
   */
  public static List<Path> write(Plan plan, Path outDir, Path planFile) {
    Objects.requireNonNull(outDir, "outDir");
    Path target = outDir.toAbsolutePath().normalize();
    List<ExportFile> files = files(plan, planReference(target, planFile));
    List<String> names = new ArrayList<>();
    try (OwnedFolder folder = OwnedFolder.open(outDir, "torch-script export")) {
      for (ExportFile f : files) {
        AtomicFiles.writeString(folder.staging().resolve(f.fileName()), f.content());
        names.add(f.fileName());
      }
      folder.commit(names);
    }
    List<Path> written = new ArrayList<>();
    for (ExportFile f : files) {
      written.add(outDir.resolve(f.fileName()));
    }
    return List.copyOf(written);
  }

  /** The plan as the README's commands, run inside the export folder, name it. */
  static String planReference(Path folder, Path planFile) {
    if (planFile == null) {
      return DEFAULT_PLAN_FILE;
    }
    Path plan = planFile.toAbsolutePath().normalize();
    Path relative = folder.relativize(plan);
    return (relative.toString().isEmpty() ? plan : relative).toString().replace('\\', '/');
  }

  private static void checkSupported(Plan plan) {
    for (LayerSpec layer : plan.model().layers()) {
      if (!SUPPORTED.contains(layer.kind())) {
        throw new BadInputException(
            "layer '"
                + layer.name()
                + "' of model '"
                + plan.model().name()
                + "' is "
                + layer.kind().id()
                + "; the torch-script launcher builds embedding, transformer_block and lm_head"
                + " layers only. Maybe export to pytorch-csv and build the model yourself.");
      }
      needed(layer.shape())
          .forEach(
              (key, value) -> {
                if (value.isEmpty()) {
                  throw new BadInputException(
                      "layer '"
                          + layer.name()
                          + "' ("
                          + layer.kind().id()
                          + ") has no shape '"
                          + key
                          + "', which the torch-script launcher needs to build it; it has "
                          + layer.shape().values().keySet()
                          + ". Maybe use a model from the zoo or add the shape to the model file.");
                }
              });
    }
    if (plan.parallelism().tp() > 1) {
      throw new BadInputException(
          "plan has tp = "
              + plan.parallelism().tp()
              + "; the torch-script launcher runs"
              + " pipeline parallelism only (tp = 1). Maybe re-plan with --tp 1.");
    }
    if (plan.model().sequenceLength() <= 0) {
      throw new BadInputException(
          "model '"
              + plan.model().name()
              + "' has sequenceLength "
              + plan.model().sequenceLength()
              + "; the torch-script launcher needs a sequence length above 0");
    }
  }

  /** The dimensions the launcher builds a layer from, by their file key, in the order checked. */
  private static Map<String, OptionalLong> needed(LayerShape shape) {
    Map<String, OptionalLong> needed = new LinkedHashMap<>();
    if (shape instanceof LayerShape.Embedding embedding) {
      needed.put("vocab", embedding.vocab());
      needed.put("hidden", embedding.hidden());
    } else if (shape instanceof LayerShape.TransformerBlock block) {
      needed.put("hidden", block.hidden());
      needed.put("heads", block.heads());
      needed.put("kvHeads", block.kvHeads());
      needed.put("ffn", block.ffn());
    } else if (shape instanceof LayerShape.LmHead head) {
      needed.put("hidden", head.hidden());
      needed.put("vocab", head.vocab());
    }
    return needed;
  }

  /**
   * stages.json: the keys of the pytorch-csv export's stages.json (model, scheduleKind,
   * pipelineDegree, virtualStages, microBatchCount, microBatchSize, splitPoints, stages[]) plus
   * what the launcher builds the model from: format, sequenceLength, dtype, partition and every
   * layer's name, kind and shape.
   */
  static String stagesJson(Plan plan) {
    ModelSpec model = plan.model();
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    root.put("format", STAGES_FORMAT);
    root.put("model", model.name());
    root.put("scheduleKind", plan.scheduleKind().id());
    root.put("pipelineDegree", plan.parallelism().pp());
    root.put("dataParallelDegree", plan.parallelism().dp());
    root.put("virtualStages", plan.virtualStages());
    root.put("microBatchCount", plan.microBatchCount());
    root.put("microBatchSize", plan.microBatchSize());
    root.put("sequenceLength", model.sequenceLength());
    root.put("dtype", model.dtype().id());
    root.put("partition", plan.partition().toString());
    Exports.optimizerStepNote(plan, ExportTarget.TORCH_SCRIPT)
        .ifPresent(n -> root.put("optimizerStep", n));
    ArrayNode layers = root.putArray("layers");
    for (LayerSpec layer : model.layers()) {
      ObjectNode node = layers.addObject();
      node.put("name", layer.name());
      node.put("kind", layer.kind().id());
      ObjectNode shape = node.putObject("shape");
      layer.shape().values().forEach(shape::put);
    }
    Exports.putStages(root, plan);
    return Json.write(root);
  }

  static String readme(Plan plan, String planFile) {
    int pp = plan.parallelism().pp();
    StringBuilder b = new StringBuilder();
    b.append("# ").append(plan.model().name()).append(" on torch.distributed.pipelining\n\n");
    b.append("Written by `pipeplan export --to torch-script`: the plan's `")
        .append(plan.scheduleKind())
        .append("` schedule with pp = ")
        .append(pp)
        .append(", v = ")
        .append(plan.virtualStages())
        .append(", m = ")
        .append(plan.microBatchCount())
        .append(" micro-batches of b = ")
        .append(plan.microBatchSize())
        .append(", layers per stage ")
        .append(plan.partition())
        .append(".\n\n");
    b.append("| file | what it is |\n|---|---|\n");
    b.append(
        "| `run_pipeline.py` | the launcher: builds the model, keeps this rank's stages, runs `schedule.csv`"
            + " with `_PipelineScheduleRuntime`, writes `traces/rank<R>.json` |\n");
    b.append(
        "| `pipeplan_plan.py` | reads and checks `stages.json` and `schedule.csv` without PyTorch;"
            + " `python3 pipeplan_plan.py` prints each rank's stages |\n");
    b.append(
        "| `schedule.csv` | the schedule, one row per rank, cells such as `2F5`"
            + " (stage, action F, I, W or B, micro-batch) |\n");
    b.append("| `stages.json` | layers and shapes, split points, stage to rank map |\n\n");
    b.append("## Run\n\n```sh\n");
    b.append(
        "python3 pipeplan_plan.py                                   # check the files, no PyTorch needed\n");
    b.append("torchrun --standalone --nproc-per-node ")
        .append(pp)
        .append(" run_pipeline.py --device cpu --iterations 5   # gloo on CPU cores\n");
    b.append("torchrun --standalone --nproc-per-node ")
        .append(pp)
        .append(" run_pipeline.py --device cuda               # one GPU per rank, NCCL\n");
    b.append(
        "python3 run_pipeline.py --profile --device cuda             # per-layer F, I, W -> profile.json\n");
    String planArg = shellWord(planFile);
    b.append("pipeplan import-trace traces/ --plan ").append(planArg).append(" -o run.json\n");
    b.append("pipeplan report --plan ").append(planArg).append(" --measured run.json -o report/\n");
    b.append("```\n\n");
    b.append(
            "The launcher is written against PyTorch 2.11's `torch.distributed.pipelining` and runs one"
                + " pipeline replica: ")
        .append(pp)
        .append(" ranks");
    if (plan.parallelism().dp() > 1) {
      b.append(" (the plan's dp = ")
          .append(plan.parallelism().dp())
          .append(" replicas would each run the same schedule on their share of the batch)");
    }
    b.append(
        ". `--chrome-trace` also writes the PyTorch profiler's Chrome trace per rank, whose `PP:<action>`"
            + " (runtime) and `pipeplan:<action>` (compute only) events `pipeplan import-trace` reads too.\n");
    return b.toString();
  }

  /** {@code word} as one shell word: as is when it is plain, else in single quotes. */
  private static String shellWord(String word) {
    if (word.matches("[A-Za-z0-9_./+:=@%-]+")) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }

  private static String resource(String name) {
    try (InputStream in = TorchScriptExport.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing from the planner jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read resource " + name, e);
    }
  }
}
