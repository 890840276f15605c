package dev.pipeplan.planner.export;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.planner.export.torchscript.TorchScriptExport;
import dev.pipeplan.simulator.cost.Partition;
import dev.pipeplan.simulator.schedule.PyTorchCsv;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Writes a plan as the settings of another training engine. Every export is a pure function of the
 * plan: the same plan gives the same bytes. See {@code docs/formats.md}, "Exports".
 */
public final class Exports {
  static final String SCHEDULE_CSV = "schedule.csv";
  static final String STAGES_JSON = "stages.json";

  private Exports() {}

  /** The files of one export. */
  public static List<ExportFile> export(Plan plan, ExportTarget target) {
    Objects.requireNonNull(plan, "plan");
    switch (Objects.requireNonNull(target, "target")) {
      case PYTORCH_CSV:
        return List.of(scheduleCsv(plan), new ExportFile(STAGES_JSON, stagesJson(plan)));
      case TORCHTITAN:
        return List.of(new ExportFile("torchtitan.toml", torchtitan(plan)), scheduleCsv(plan));
      case MEGATRON:
        return List.of(new ExportFile("megatron-args.sh", megatron(plan)));
      case DEEPSPEED:
        return List.of(new ExportFile("deepspeed.json", deepspeed(plan)));
      case TORCHGPIPE:
        return List.of(new ExportFile("torchgpipe.json", torchgpipe(plan)));
      case TORCH_SCRIPT:
        return TorchScriptExport.files(plan);
      default:
        throw new IllegalStateException("unknown target " + target);
    }
  }

  private static ExportFile scheduleCsv(Plan plan) {
    return new ExportFile(SCHEDULE_CSV, PyTorchCsv.write(PlanPrediction.schedule(plan)));
  }

  /**
   * The stage split points: for each global virtual stage its rank, its layer range and names, plus
   * the first layer of each stage after the first (the split points torch.distributed.pipelining's
   * tracer splits at).
   */
  static String stagesJson(Plan plan) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    root.put("model", plan.model().name());
    root.put("scheduleKind", plan.scheduleKind());
    root.put("pipelineDegree", plan.parallelism().pp());
    root.put("virtualStages", plan.virtualStages());
    root.put("microBatchCount", plan.microBatchCount());
    root.put("microBatchSize", plan.microBatchSize());
    putStages(root, plan);
    return Json.write(root);
  }

  /**
   * Adds {@code splitPoints} (the first layer of each stage after the first) and {@code stages}
   * (each global virtual stage's rank, layer range and layer names) to {@code root}: the part of
   * stages.json that every PyTorch export shares.
   */
  public static void putStages(ObjectNode root, Plan plan) {
    ArrayNode splits = root.putArray("splitPoints");
    ArrayNode stages = root.putArray("stages");
    Partition p = plan.partition();
    for (int s = 0; s < p.stageCount(); s++) {
      ObjectNode stage = stages.addObject();
      stage.put("stage", s);
      stage.put("rank", plan.stageToDevice().get(s));
      stage.put("firstLayer", p.firstLayer(s));
      stage.put("endLayer", p.endLayer(s));
      ArrayNode names = stage.putArray("layers");
      for (int i = p.firstLayer(s); i < p.endLayer(s); i++) {
        names.add(plan.model().layer(i).name());
      }
      if (s > 0) {
        splits.add(plan.model().layer(p.firstLayer(s)).name());
      }
    }
  }

  /**
   * torchtitan's [parallelism] and [training] settings, with module FQNs per model part and the
   * schedule CSV.
   */
  static String torchtitan(Plan plan) {
    StringBuilder b = new StringBuilder();
    b.append("# torchtitan settings for plan of '")
        .append(plan.model().name())
        .append("' on '")
        .append(plan.cluster().name())
        .append("', written by pipeplan.\n");
    b.append(
        "# Module names follow torchtitan's Llama layout (tok_embeddings, layers.N, norm, output).\n");
    b.append("# The schedule CSV replays pipeplan's '")
        .append(plan.scheduleKind())
        .append("' order exactly");
    String builtin = torchtitanBuiltin(plan.kind());
    b.append(
        builtin == null ? ".\n" : "; torchtitan's built-in equivalent is \"" + builtin + "\".\n");
    b.append("\n[parallelism]\n");
    b.append("pipeline_parallel_degree = ").append(plan.parallelism().pp()).append('\n');
    b.append("tensor_parallel_degree = ").append(plan.parallelism().tp()).append('\n');
    b.append("data_parallel_replicate_degree = ").append(plan.parallelism().dp()).append('\n');
    b.append("data_parallel_shard_degree = 1\n");
    b.append("pipeline_parallel_microbatch_size = ").append(plan.microBatchSize()).append('\n');
    b.append("pipeline_parallel_schedule = \"_PipelineScheduleRuntime\"\n");
    b.append("pipeline_parallel_schedule_csv = \"").append(SCHEDULE_CSV).append("\"\n");
    b.append("module_fqns_per_model_part = [\n");
    Partition p = plan.partition();
    int block = 0;
    for (int s = 0; s < p.stageCount(); s++) {
      List<String> fqns = new ArrayList<>();
      for (int i = p.firstLayer(s); i < p.endLayer(s); i++) {
        LayerSpec layer = plan.model().layer(i);
        if (layer.kind() == LayerKind.EMBEDDING) {
          fqns.add("tok_embeddings");
        } else if (layer.kind() == LayerKind.TRANSFORMER_BLOCK) {
          fqns.add("layers." + block++);
        } else if (layer.kind() == LayerKind.LM_HEAD) {
          fqns.add("norm");
          fqns.add("output");
        } else {
          fqns.add(layer.name());
        }
      }
      b.append("  [");
      for (int k = 0; k < fqns.size(); k++) {
        b.append(k == 0 ? "" : ", ").append('"').append(fqns.get(k)).append('"');
      }
      b.append(s + 1 < p.stageCount() ? "],\n" : "]\n");
    }
    b.append("]\n");
    b.append("\n[training]\n");
    int perReplica = plan.microBatchSize() * plan.microBatchCount();
    b.append("local_batch_size = ")
        .append(perReplica)
        .append("  # ")
        .append(plan.microBatchCount())
        .append(" micro-batches of ")
        .append(plan.microBatchSize())
        .append('\n');
    b.append("global_batch_size = ").append(plan.training().globalBatch()).append('\n');
    if (plan.training().sequenceLength() > 0) {
      b.append("seq_len = ").append(plan.training().sequenceLength()).append('\n');
    }
    return b.toString();
  }

  private static String torchtitanBuiltin(ScheduleKind kind) {
    switch (kind) {
      case GPIPE:
        return "GPipe";
      case ONE_F_ONE_B:
        return "1F1B";
      case INTERLEAVED_1F1B:
        return "Interleaved1F1B";
      case LOOPED_BFS:
        return "LoopedBFS";
      case ZB_H1:
      case ZB_H2:
        return "InterleavedZeroBubble";
      case ZB_V:
        return "ZBVZeroBubble";
      case DUALPIPE_V:
        return "DualPipeV";
      default:
        return null;
    }
  }

  /**
   * Megatron-LM arguments: parallel sizes, batch sizes and {@code
   * --pipeline-model-parallel-layout}, whose '|'-separated stages (E embedding, t transformer
   * layer, L final norm + output + loss) are listed in global virtual stage order, which Megatron
   * maps to ranks looped, as pipeplan does.
   */
  static String megatron(Plan plan) {
    if (plan.kind().vShaped()) {
      throw new BadInputException(
          "schedule kind '"
              + plan.scheduleKind()
              + "' places stages in a V, which"
              + " Megatron-LM's layouts cannot express. Maybe re-plan with --schedules 1f1b,interleaved.");
    }
    int blocks = 0;
    StringBuilder layout = new StringBuilder();
    Partition p = plan.partition();
    for (int s = 0; s < p.stageCount(); s++) {
      if (s > 0) {
        layout.append('|');
      }
      List<String> items = new ArrayList<>();
      int run = 0;
      for (int i = p.firstLayer(s); i < p.endLayer(s); i++) {
        LayerSpec layer = plan.model().layer(i);
        if (layer.kind() == LayerKind.TRANSFORMER_BLOCK) {
          run++;
          blocks++;
          continue;
        }
        if (run > 0) {
          items.add(run == 1 ? "t" : "t*" + run);
          run = 0;
        }
        if (layer.kind() == LayerKind.EMBEDDING) {
          items.add("E");
        } else if (layer.kind() == LayerKind.LM_HEAD) {
          items.add("L");
        } else {
          throw new BadInputException(
              "layer '"
                  + layer.name()
                  + "' is "
                  + layer.kind().id()
                  + "; Megatron-LM"
                  + " layouts hold only embedding, transformer_block and lm_head layers. Maybe export to pytorch-csv.");
        }
      }
      if (run > 0) {
        items.add(run == 1 ? "t" : "t*" + run);
      }
      layout.append(String.join(",", items));
    }
    StringBuilder b = new StringBuilder();
    b.append("# Megatron-LM arguments for plan of '")
        .append(plan.model().name())
        .append("' on '")
        .append(plan.cluster().name())
        .append("', written by pipeplan.\n");
    b.append(
            "# Layout stages are global virtual stages in order; stage s runs on pipeline rank s mod ")
        .append(plan.parallelism().pp())
        .append(".\n");
    if (plan.kind() != ScheduleKind.ONE_F_ONE_B && plan.kind() != ScheduleKind.INTERLEAVED_1F1B) {
      b.append("# pipeplan planned '")
          .append(plan.scheduleKind())
          .append("'; Megatron-LM runs ")
          .append(plan.virtualStages() > 1 ? "interleaved 1F1B" : "1F1B")
          .append(" with this layout, so its time will differ from pipeplan's prediction.\n");
    }
    b.append("PIPEPLAN_ARGS=(\n");
    b.append("  --tensor-model-parallel-size ").append(plan.parallelism().tp()).append('\n');
    b.append("  --pipeline-model-parallel-size ").append(plan.parallelism().pp()).append('\n');
    b.append("  --num-layers ").append(blocks).append('\n');
    b.append("  --pipeline-model-parallel-layout \"").append(layout).append("\"\n");
    if (plan.groupSize() > 0 && plan.virtualStages() > 1) {
      b.append("  --microbatch-group-size-per-virtual-pipeline-stage ")
          .append(plan.groupSize())
          .append('\n');
    }
    b.append("  --micro-batch-size ").append(plan.microBatchSize()).append('\n');
    b.append("  --global-batch-size ").append(plan.training().globalBatch()).append('\n');
    if (plan.training().sequenceLength() > 0) {
      b.append("  --seq-length ").append(plan.training().sequenceLength()).append('\n');
    }
    if (plan.parallelism().tp() > 1) {
      b.append("  --sequence-parallel\n");
    }
    if (plan.training().recompute()) {
      b.append(
          "  --recompute-granularity full\n  --recompute-method uniform\n  --recompute-num-layers 1\n");
    }
    b.append(")\n");
    return b.toString();
  }

  /**
   * DeepSpeed: the PipelineModule's stage boundaries ({@code parts}, as its partitioner computes
   * them: stage s holds layers parts[s] .. parts[s+1]-1) and the ds_config batch fields. DeepSpeed
   * runs one stage per rank.
   */
  static String deepspeed(Plan plan) {
    requireOneStagePerRank(plan, "DeepSpeed's PipelineModule");
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    ObjectNode config = root.putObject("ds_config");
    config.put("train_batch_size", plan.training().globalBatch());
    config.put("train_micro_batch_size_per_gpu", plan.microBatchSize());
    config.put("gradient_accumulation_steps", plan.microBatchCount());
    ObjectNode pipeline = root.putObject("pipeline_module");
    pipeline.put("num_stages", plan.parallelism().pp());
    pipeline.put("partition_method", "parameters");
    ArrayNode parts = pipeline.putArray("parts");
    Partition p = plan.partition();
    for (int s = 0; s < p.stageCount(); s++) {
      parts.add(p.firstLayer(s));
    }
    parts.add(p.layerCount());
    ArrayNode names = pipeline.putArray("stage_layers");
    for (int s = 0; s < p.stageCount(); s++) {
      ArrayNode stage = names.addArray();
      for (int i = p.firstLayer(s); i < p.endLayer(s); i++) {
        stage.add(plan.model().layer(i).name());
      }
    }
    root.put(
        "note",
        "partition_method cannot take explicit boundaries: build PipelineModule(layers,"
            + " num_stages) and set its parts to pipeline_module.parts before _partition_layers, or use"
            + " partition_method 'parameters' when it yields the same parts.");
    root.put("tensor_parallel_degree", plan.parallelism().tp());
    root.put("data_parallel_degree", plan.parallelism().dp());
    return Json.write(root);
  }

  /**
   * torchgpipe: {@code balance} (layers per partition), {@code chunks} (micro-batches) and
   * checkpointing.
   */
  static String torchgpipe(Plan plan) {
    requireOneStagePerRank(plan, "torchgpipe");
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    ArrayNode balance = root.putArray("balance");
    for (int c : plan.partition().layerCounts()) {
      balance.add(c);
    }
    root.put("chunks", plan.microBatchCount());
    root.put("checkpoint", plan.training().recompute() ? "always" : "never");
    ArrayNode devices = root.putArray("devices");
    for (int d = 0; d < plan.parallelism().pp(); d++) {
      devices.add("cuda:" + d);
    }
    if (plan.kind() != ScheduleKind.GPIPE) {
      root.put(
          "note",
          String.format(
              Locale.ROOT,
              "torchgpipe always runs GPipe; pipeplan planned '%s'.",
              plan.scheduleKind()));
    }
    return Json.write(root);
  }

  private static void requireOneStagePerRank(Plan plan, String engine) {
    if (plan.virtualStages() != 1) {
      throw new BadInputException(
          engine
              + " runs one stage per rank, but the plan has virtualStages "
              + plan.virtualStages()
              + " ("
              + plan.scheduleKind()
              + "). Maybe re-plan with --schedules"
              + " gpipe,1f1b,zb-h1.");
    }
  }
}
