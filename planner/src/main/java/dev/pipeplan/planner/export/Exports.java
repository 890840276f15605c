package dev.pipeplan.planner.export;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.SubLayers;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.planner.PlanValidator;
import dev.pipeplan.simulator.cost.roofline.ModelFeatures;
import dev.pipeplan.simulator.cost.roofline.RooflineParameters;
import dev.pipeplan.simulator.engine.Simulator;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import dev.pipeplan.simulator.schedule.io.PyTorchCsv;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Writes a plan as the settings of another training engine. Every export is a pure function of the
 * plan: the same plan gives the same bytes. See {@code docs/formats.md}, "Exports".
 */
public final class Exports {
  static final String SCHEDULE_CSV = "schedule.csv";
  static final String STAGES_JSON = "stages.json";
  static final String TORCHTITAN_PY = "pipeplan_torchtitan.py";

  private Exports() {}

  /**
   * The files of one export. Every plan is checked the same way first ({@link #checkPlan}), so a
   * plan that one target refuses is refused by all of them.
   */
  public static List<ExportFile> export(Plan plan, ExportTarget target) {
    checkPlan(plan);
    requireWholeLayers(plan, Objects.requireNonNull(target, "target").id());
    return switch (Objects.requireNonNull(target, "target")) {
      case PYTORCH_CSV -> {
        refuseFp8Linears(
            plan,
            "the pytorch-csv export",
            "writes the schedule and the stage split only, nothing that runs the model's linear"
                + " layers in FP8 (torchtitan's export runs the same schedule.csv with them)");
        yield List.of(scheduleCsv(plan), new ExportFile(STAGES_JSON, stagesJson(plan)));
      }
      case TORCHTITAN ->
          List.of(new ExportFile(TORCHTITAN_PY, torchtitan(plan)), scheduleCsv(plan));
      case MEGATRON -> List.of(new ExportFile("megatron-args.sh", megatron(plan)));
      case DEEPSPEED -> List.of(new ExportFile("deepspeed.json", deepspeed(plan)));
      case TORCHGPIPE -> List.of(new ExportFile("torchgpipe.json", torchgpipe(plan)));
      case TORCH_SCRIPT -> TorchScriptExport.files(plan);
    };
  }

  /**
   * The check every export runs before it writes anything: the plan's parts agree ({@link
   * PlanValidator}, which includes the stage to device map the schedule kind implies) and its
   * schedule regenerates with that map.
   *
   * @throws BadInputException naming the first inconsistency
   */
  public static void checkPlan(Plan plan) {
    Objects.requireNonNull(plan, "plan");
    PlanValidator.validate(plan);
    PlanPrediction.schedule(plan);
  }

  /**
   * Refuses a plan whose model is cut into sub-layer pieces ({@link SubLayers}, {@code
   * --partition-unit sublayer}): every engine pipeplan exports to places whole layers on its stages
   * (Megatron-LM and DeepSpeed count blocks, PyTorch's pipelining splits at module names).
   *
   * @param target how the message names the export ("megatron")
   */
  public static void requireWholeLayers(Plan plan, String target) {
    if (SubLayers.hasPieces(plan.model())) {
      throw new BadInputException(
          "the plan's model is cut into sub-layer pieces (made with 'pipeplan plan --partition-unit"
              + " sublayer' or 'step'); the "
              + target
              + " export places whole layers on its stages. Maybe re-plan with --partition-unit"
              + " layer to export it.");
    }
  }

  /**
   * For a plan priced with the optimizer step post-validated ({@link
   * Plan#optimizerPostValidation}), what the export cannot carry: every engine pipeplan exports to
   * steps the optimizer synchronously after each iteration, so its iteration is the plan's
   * synchronous one, not the steady-state period. Empty for a synchronous plan. Each export writes
   * it into its file and {@code pipeplan export} prints it.
   */
  public static Optional<String> optimizerStepNote(Plan plan, ExportTarget target) {
    Objects.requireNonNull(plan, "plan");
    if (!plan.optimizerPostValidation()) {
      return Optional.empty();
    }
    String engine =
        switch (Objects.requireNonNull(target, "target")) {
          case PYTORCH_CSV, TORCH_SCRIPT -> "torch.distributed.pipelining";
          case TORCHTITAN -> "torchtitan";
          case MEGATRON -> "Megatron-LM";
          case DEEPSPEED -> "DeepSpeed";
          case TORCHGPIPE -> "torchgpipe";
        };
    long synchronous =
        plan.predicted().pipelineNanos()
            + plan.predicted().dataParallelSyncNanos()
            + plan.predicted().optimizerStepNanos();
    return Optional.of(
        String.format(
            Locale.ROOT,
            "the plan's optimizerPostValidation (the optimizer step post-validated, as the Zero"
                + " Bubble code's --enable-optimizer-post-validation runs it) is not exported: %s"
                + " steps the optimizer synchronously after each iteration, so expect about the"
                + " synchronous iteration of %.2f ms, not the plan's steady-state period of %.2f ms.",
            engine,
            synchronous / 1e6,
            plan.predicted().iterationNanos() / 1e6));
  }

  private static ExportFile scheduleCsv(Plan plan) {
    return new ExportFile(SCHEDULE_CSV, PyTorchCsv.write(PlanPrediction.schedule(plan)));
  }

  /**
   * The stage split points: for each global virtual stage its rank, its layer range and names, plus
   * the first layer of each stage after the first (the split points torch.distributed.pipelining's
   * tracer splits at), and for a context-parallel plan its {@code contextParallelDegree}.
   */
  static String stagesJson(Plan plan) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    root.put("model", plan.model().name());
    root.put("scheduleKind", plan.scheduleKind().id());
    root.put("pipelineDegree", plan.parallelism().pp());
    if (plan.parallelism().cp() > 1) {
      // every rank of a stage runs the same schedule on its s/cp tokens of each micro-batch
      root.put("contextParallelDegree", plan.parallelism().cp());
    }
    root.put("virtualStages", plan.virtualStages());
    root.put("microBatchCount", plan.microBatchCount());
    root.put("microBatchSize", plan.microBatchSize());
    optimizerStepNote(plan, ExportTarget.PYTORCH_CSV).ifPresent(n -> root.put("optimizerStep", n));
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
   * torchtitan: a Python module whose {@code apply_pipeplan_plan(config)} sets the plan on a
   * torchtitan {@code Trainer.Config} (torchtitan reads Python configs, not TOML, since its config
   * refactor), next to the schedule CSV. The names were checked against torchtitan's and PyTorch's
   * sources, see {@code docs/formats.md}, "Exports".
   */
  static String torchtitan(Plan plan) {
    refuseWhatTorchtitanCannotTrain(plan);
    Parallelism par = plan.parallelism();
    String scheduleName = torchtitanScheduleName(plan);
    StringBuilder b = new StringBuilder();
    b.append("# torchtitan settings for the plan of '")
        .append(plan.model().name())
        .append("' on '")
        .append(plan.cluster().name())
        .append("', written by pipeplan.\n");
    b.append("#\n");
    b.append("# Checked against torchtitan's torchtitan/config/configs.py (ParallelismConfig,\n");
    b.append("# TrainingConfig), torchtitan/distributed/pipeline_parallel.py, fsdp.py and\n");
    b.append(
        "# activation_checkpoint.py, and PyTorch's torch/distributed/pipelining/schedules.py\n");
    b.append(
        "# (get_schedule_class); see pipeplan's docs/formats.md, \"Exports\", for the versions.\n");
    b.append("#\n");
    b.append("# Use it from your own torchtitan config function, e.g. in my_runs.py:\n");
    b.append("#     from pipeplan_torchtitan import apply_pipeplan_plan\n");
    b.append("#     def my_run():\n");
    b.append("#         return apply_pipeplan_plan(llama3_8b())  # your base Trainer.Config\n");
    b.append("# then: NGPU=")
        .append(par.deviceCount())
        .append(" MODULE=my_runs CONFIG=my_run ./run_train.sh\n");
    b.append("#\n");
    b.append("# torchtitan runs schedule.csv with _PipelineScheduleRuntime whenever\n");
    b.append(
        "# pipeline_parallel_schedule_csv is set; pipeline_parallel_schedule then only says\n");
    b.append("# how stages sit on ranks, and must be a name get_schedule_class knows.\n");
    b.append("# \"")
        .append(scheduleName)
        .append("\" puts ")
        .append(placementSentence(plan))
        .append(".\n");
    b.append("# The CSV replays pipeplan's '")
        .append(plan.scheduleKind())
        .append("' order exactly");
    String builtin = torchtitanBuiltin(plan.kind());
    b.append(
        builtin.isEmpty()
            ? "; torchtitan has no built-in equivalent.\n"
            : "; torchtitan's built-in equivalent is \"" + builtin + "\".\n");
    b.append(
        "# Module names follow torchtitan's decoder (tok_embeddings, layers.N, norm, lm_head).\n");
    if (par.cp() > 1) {
      b.append("# Context parallelism (cp = ")
          .append(par.cp())
          .append(
              "): torchtitan runs it with FlexAttention only (decoder.py refuses\n"
                  + "# ScaledDotProductAttention and VarlenAttention) and spmd_backend \"spmd_types\"\n"
                  + "# (validate_cp_backend); both are torchtitan's defaults (model_registry(...,\n"
                  + "# attn_backend=\"flex\")), so keep them in your base config.\n");
    }
    optimizerStepNote(plan, ExportTarget.TORCHTITAN)
        .ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    torchtitanContextParallelNote(plan).ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    torchtitanShardingNote(plan).ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    pipelineHandOffNote(plan, "torchtitan", false)
        .ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    torchtitanReductionNote(plan).ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    torchtitanPrecisionNote(plan).ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    torchtitanFp8CastsNote(plan).ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    torchtitanAttentionNote(plan).ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    if (plan.training().fp8Linears()) {
      b.append(
          "# FP8 linears (the plan's training.fp8Linears): Float8LinearConverter with torchao's\n"
              + "# \"tensorwise\" recipe (dynamic per-tensor scaling; E4M3 inputs and weights, E5M2\n"
              + "# output gradients; weights all-gathered in bfloat16) converts every block's linear\n"
              + "# layers, and filter_fqns=[\"lm_head\"] keeps the output layer in bfloat16, as\n"
              + "# pipeplan priced. At b5bcd76 the converter's recipe_name is typed \"rowwise\" or\n"
              + "# \"rowwise_with_gw_hp\" (6348d93 dropped \"tensorwise\" from the choices), but it\n"
              + "# hands the name to torchao's Float8LinearConfig.from_recipe_name, which still\n"
              + "# takes \"tensorwise\"; rowwise scaling is another recipe, not the one priced. Needs\n"
              + "# torchao with from_recipe_name and an SM89+ GPU. pipeplan priced the scaling casts\n"
              + "# as eager mode runs them; torch.compile (config.compile) fuses them, and is faster.\n");
    }
    if (plan.training().recompute() == Recompute.SELECTIVE) {
      b.append(
          "# Note: torchtitan's SelectiveAC is a per-op policy (it saves the matmul and attention\n"
              + "# outputs but recomputes every second matmul and the ops between them), not\n"
              + "# pipeplan's selective mode (the attention core only, as Megatron-LM's\n"
              + "# --recompute-granularity selective), so the plan's memory and time predictions do\n"
              + "# not hold for it. Re-plan with --recompute full or none for a prediction torchtitan\n"
              + "# runs as priced.\n");
    }
    b.append("\nimport os\n");
    String checkpointClass = torchtitanCheckpointClass(plan.training().recompute());
    if (!checkpointClass.isEmpty() || plan.training().fp8Linears()) {
      b.append('\n');
    }
    if (plan.training().fp8Linears()) {
      b.append("from torchtitan.components.quantization import Float8LinearConverter\n");
      b.append("from torchtitan.components.quantization.utils import has_quantization\n");
    }
    if (!checkpointClass.isEmpty()) {
      b.append("from torchtitan.distributed.activation_checkpoint import ")
          .append(checkpointClass)
          .append('\n');
    }
    b.append('\n');
    b.append(
        "SCHEDULE_CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), \"schedule.csv\")\n");
    b.append("\n\ndef apply_pipeplan_plan(config):\n");
    b.append("    p = config.parallelism\n");
    b.append("    p.pipeline_parallel_degree = ").append(par.pp()).append('\n');
    b.append("    p.tensor_parallel_degree = ").append(par.tp()).append('\n');
    if (par.tp() > 1 && !plan.training().sequenceParallel()) {
      // torchtitan's ParallelismConfig.enable_sequence_parallel defaults to True (b5bcd76)
      b.append("    p.enable_sequence_parallel = False\n");
    }
    if (par.cp() > 1) {
      // ParallelismConfig.context_parallel_degree (b5bcd76); its default load balancer "headtail"
      // gives rank r sequence chunks r and 2cp-1-r, the balance the plan priced (Megatron-Core's)
      b.append("    p.context_parallel_degree = ").append(par.cp()).append('\n');
      b.append("    p.context_parallel_load_balancer = \"headtail\"\n");
    }
    appendTorchtitanDataParallel(b, plan);
    b.append("    p.num_pp_microbatches = ").append(plan.microBatchCount()).append('\n');
    b.append("    p.pipeline_parallel_schedule = \"").append(scheduleName).append("\"\n");
    b.append("    p.pipeline_parallel_schedule_csv = SCHEDULE_CSV\n");
    b.append("    p.module_fqns_per_model_part = [\n");
    Partition p = plan.partition();
    int block = 0;
    for (int s = 0; s < p.stageCount(); s++) {
      List<String> fqns = new ArrayList<>();
      for (int i = p.firstLayer(s); i < p.endLayer(s); i++) {
        LayerSpec layer = plan.model().layer(i);
        switch (layer.kind()) {
          case EMBEDDING -> fqns.add("tok_embeddings");
          case TRANSFORMER_BLOCK -> fqns.add("layers." + block++);
          case LM_HEAD -> {
            fqns.add("norm");
            fqns.add("lm_head");
          }
          case MLP, CONV, POOL, LINEAR, NORM, OTHER -> fqns.add(layer.name());
        }
      }
      b.append("        [");
      for (int k = 0; k < fqns.size(); k++) {
        b.append(k == 0 ? "" : ", ").append('"').append(fqns.get(k)).append('"');
      }
      b.append("],\n");
    }
    b.append("    ]\n");
    b.append("    t = config.training\n");
    // TrainingConfig (b5bcd76): the model is always wrapped by fully_shard, whose
    // MixedPrecisionPolicy casts the fp32 parameters to mixed_precision_param for the compute and
    // reduces the gradients in mixed_precision_reduce (float32 only).
    if (plan.training().dtype() == DType.BF16 || plan.training().dtype() == DType.FP16) {
      b.append("    # bf16 compute over fp32 weights, gradients and optimizer state\n");
      b.append("    t.dtype = \"float32\"\n");
      b.append("    t.mixed_precision_param = \"bfloat16\"\n");
      b.append("    t.mixed_precision_reduce = \"float32\"\n");
    } else {
      b.append("    t.dtype = \"float32\"\n");
      b.append("    t.mixed_precision_param = \"float32\"\n");
    }
    int seq = plan.training().sequenceLength();
    if (seq > 0) {
      b.append("    t.max_context_length = ").append(seq).append('\n');
      b.append("    # b = ")
          .append(plan.microBatchSize())
          .append(" sequences per micro-batch, global batch ")
          .append(plan.training().globalBatch())
          .append(" sequences\n");
      b.append("    t.num_tokens_per_microbatch_per_dp_rank = ")
          .append((long) plan.microBatchSize() * seq)
          .append('\n');
      b.append("    t.num_tokens_per_train_step = ")
          .append((long) plan.training().globalBatch() * seq)
          .append('\n');
    } else {
      b.append(
          "    # the plan has no sequence length: set config.training's token counts yourself\n");
    }
    b.append(
        switch (plan.training().recompute()) {
          case NONE ->
              "    # no activation checkpointing, as planned (torchtitan's default is SelectiveAC)\n"
                  + "    config.activation_checkpoint = None\n";
          case SELECTIVE -> "    config.activation_checkpoint = SelectiveAC.Config()\n";
          case FULL ->
              "    # each transformer block keeps only its input and recomputes the rest\n"
                  + "    config.activation_checkpoint = FullAC.Config()\n";
        });
    if (plan.training().fp8Linears()) {
      // Float8LinearConverter.Config (b5bcd76): recipe_name, filter_fqns (substrings of a
      // Linear's fqn to skip), model_compile_enabled; model_registry(..., converters=[...]) runs
      // c.build().convert(model_config), as this does on the base config's model
      b.append(
          "    # FP8 linears as priced: every block's linear layers, not the output layer\n"
              + "    if has_quantization(config.model_spec.model):\n"
              + "        raise ValueError(\n"
              + "            \"pipeplan: the base config already quantizes the model; start from one\"\n"
              + "            \" without converters (the plan prices Float8 tensorwise linears)\"\n"
              + "        )\n"
              + "    config.model_spec.model = Float8LinearConverter.Config(\n"
              + "        recipe_name=\"tensorwise\",\n"
              + "        filter_fqns=[\"lm_head\"],\n"
              + "        model_compile_enabled=(\n"
              + "            config.compile.enable and \"model\" in config.compile.components\n"
              + "        ),\n"
              + "    ).build().convert(config.model_spec.model)\n");
    }
    b.append("    return config\n");
    return b.toString();
  }

  /** The torchtitan policy class the plan's recomputation imports, or "" for none. */
  private static String torchtitanCheckpointClass(Recompute recompute) {
    return switch (recompute) {
      case NONE -> "";
      case SELECTIVE -> "SelectiveAC";
      case FULL -> "FullAC";
    };
  }

  /**
   * The data-parallel degrees of the plan's sharding. torchtitan has DDP (replicate), FSDP (shard)
   * and their hybrid; FSDP's {@code fsdp_reshard_after_forward} "always" regathers each block's
   * weights for its backward (ZeRO-3), "never" keeps them from the forward to the backward (ZeRO-2,
   * torchtitan's docs/fsdp.md), and its "default" is "never" whenever pipelining is on ({@code
   * get_fsdp_reshard_after_forward_policy}), so the export always says which.
   */
  private static void appendTorchtitanDataParallel(StringBuilder b, Plan plan) {
    int dp = plan.parallelism().dp();
    boolean cp = plan.parallelism().cp() > 1;
    String ranks = cp ? "dp x cp ranks" : "dp ranks";
    String replicated =
        "    p.data_parallel_replicate_degree = " + dp + "\n    p.data_parallel_shard_degree = 1\n";
    String sharded =
        "    p.data_parallel_replicate_degree = 1\n    p.data_parallel_shard_degree = " + dp + "\n";
    if (plan.parallelism().gradientGroup() == 1) {
      b.append(replicated);
      return;
    }
    b.append(
        switch (plan.training().optimizerSharding()) {
          case NONE ->
              cp
                  // FSDP over the cp ranks whatever the config says (see the note above)
                  ? "    # torchtitan shards over the cp ranks anyway (see the note above): keep the"
                      + " weights gathered from the forward to the backward, the nearest to none\n"
                      + replicated
                      + "    p.fsdp_reshard_after_forward = \"never\"\n"
                  : replicated;
          case ZERO1 ->
              "    # the plan's ZeRO-1 as torchtitan's nearest, FSDP keeping the weights gathered"
                  + " from the forward to the backward (ZeRO-2; see the note above)\n"
                  + sharded
                  + "    p.fsdp_reshard_after_forward = \"never\"\n";
          case ZERO2 ->
              "    # ZeRO-2: FSDP over the "
                  + ranks
                  + ", the weights kept gathered from the forward to"
                  + " the backward\n"
                  + sharded
                  + "    p.fsdp_reshard_after_forward = \"never\"\n";
          case ZERO3 ->
              "    # ZeRO-3: FSDP over the "
                  + ranks
                  + ", each block's weights gathered for its forward"
                  + " and again for its backward\n"
                  + sharded
                  + "    p.fsdp_reshard_after_forward = \"always\"\n";
        });
  }

  /**
   * What the torchtitan export cannot carry of the plan's sharding: torchtitan has no ZeRO-1 (its
   * data parallelism is DDP, FSDP or both), so a ZeRO-1 plan gets FSDP without resharding after the
   * forward, ZeRO-2, whose gradients are sharded too. Empty for every other plan.
   */
  /**
   * torchtitan computes in bf16 or fp32 ({@code TrainingConfig.mixed_precision_param}); pipeplan's
   * fp8 dtype (the whole model in fp8) has no setting there.
   */
  private static void refuseWhatTorchtitanCannotTrain(Plan plan) {
    int cp = plan.parallelism().cp();
    if (cp > 1 && plan.training().attention() == Attention.EAGER) {
      // decoder.py (b5bcd76): "Context Parallel is not supported with ScaledDotProductAttention or
      // VarlenAttention. Use FlexAttention or disable CP."
      throw new BadInputException(
          "the plan prices attention 'eager' (the s x s scores kept) at cp = "
              + cp
              + ", but torchtitan's context parallelism runs FlexAttention only, a fused kernel"
              + " that keeps no scores (its decoder refuses any other attention at"
              + " context_parallel_degree > 1). Maybe re-plan with --attention flash to export it"
              + " to torchtitan.");
    }
    torchtitanFp8WidthProblem(plan)
        .ifPresent(
            problem -> {
              // components/quantization/utils.py module_filter_fn (b5bcd76)
              throw new BadInputException(
                  "the plan has training.fp8Linears = true, but torchtitan's Float8 converter"
                      + " keeps a linear layer in bfloat16 when its input or output width is not a"
                      + " multiple of 16 (module_filter_fn), and "
                      + problem
                      + " is not one, so the layers of that width would not run as priced. Maybe"
                      + " re-plan without --fp8 to export it to torchtitan.");
            });
    if (plan.training().dtype() == DType.FP8) {
      throw new BadInputException(
          "the plan trains in fp8, but torchtitan computes in bfloat16 or float32"
              + " (TrainingConfig.mixed_precision_param; its float8 training is a model converter"
              + " over bf16 compute, which pipeplan's fp8 dtype does not say). Maybe re-plan the"
              + " model in bf16 to export it to torchtitan.");
    }
  }

  /**
   * The first block width that keeps one of its linear layers out of torchtitan's Float8 conversion
   * (whole widths: the converter reads the model config before any tensor-parallel split), named
   * for the message; empty without FP8 linears, for a block that states no widths, or when every
   * width is a multiple of 16.
   */
  static Optional<String> torchtitanFp8WidthProblem(Plan plan) {
    if (!plan.training().fp8Linears()) {
      return Optional.empty();
    }
    Optional<LinearWidths> found = LinearWidths.of(plan);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    LinearWidths w = found.get();
    long[] widths = {w.hidden(), w.heads() * w.headDim(), w.kvHeads() * w.headDim(), w.ffn()};
    String[] names = {
      "the hidden size",
      "the queries' width (heads x headDim)",
      "the keys' and values' width (kvHeads x headDim)",
      "the MLP's width (ffn)"
    };
    for (int i = 0; i < widths.length; i++) {
      if (widths[i] % 16 != 0) {
        return Optional.of(names[i] + " " + widths[i]);
      }
    }
    return Optional.empty();
  }

  /**
   * torchtitan's context parallelism is not the ring the plan priced: it all-gathers the keys and
   * values over the cp ranks at the attention's boundary ({@code decoder_sharding.py}, {@code
   * set_gqa_inner_attention_local_map}, b5bcd76) and reduce-scatters their gradients, where
   * Megatron-Core's default {@code --cp-comm-type p2p} passes them round a ring under the attention
   * core. Said for every plan with cp > 1.
   */
  private static Optional<String> torchtitanContextParallelNote(Plan plan) {
    int cp = plan.parallelism().cp();
    if (cp == 1) {
      return Optional.empty();
    }
    return Optional.of(
        "torchtitan all-gathers each block's keys and values over the cp = "
            + cp
            + " ranks before\n"
            + "# its attention kernel and reduce-scatters their gradients (decoder_sharding.py,\n"
            + "# set_gqa_inner_attention_local_map); the plan priced Megatron-Core's ring\n"
            + "# (--cp-comm-type p2p), which passes them round under the attention. The exchange is\n"
            + "# not hidden and every rank holds all s tokens' keys and values, so the plan's time and\n"
            + "# activation memory do not hold for it; export to megatron to run the ring as priced.");
  }

  /**
   * torchao's Float8 linears cast the weights in every micro-batch's passes: said when the plan
   * priced the casts once an iteration over several micro-batches.
   */
  private static Optional<String> torchtitanFp8CastsNote(Plan plan) {
    if (!plan.training().castsFp8WeightsOncePerIteration() || plan.microBatchCount() == 1) {
      return Optional.empty();
    }
    return Optional.of(
        "torchao's Float8 linears cast each weight to FP8 in every micro-batch's forward and\n"
            + "# backward, where the plan priced the casts once an iteration (Transformer Engine's\n"
            + "# cache); re-plan with --fp8-weight-casts micro-batch to predict what it runs.");
  }

  /**
   * torchtitan has no fp16 compute: an fp16 plan is written as bf16, which has the same sizes and
   * tensor-core rate, so the prediction holds but for fp16's loss-scaling casts in the optimizer
   * step, which bf16 does not run.
   */
  private static Optional<String> torchtitanPrecisionNote(Plan plan) {
    if (plan.training().dtype() != DType.FP16) {
      return Optional.empty();
    }
    return Optional.of(
        "torchtitan has no fp16 compute (mixed_precision_param is bfloat16 or float32): this\n"
            + "# writes bfloat16, with the same 16-bit sizes and tensor-core rate as the plan's\n"
            + "# fp16; the plan's optimizer step also priced fp16's loss-scaling casts, which bf16\n"
            + "# does not run, so torchtitan's step is slightly shorter.");
  }

  /**
   * torchtitan's attention (FlexAttention by default, or PyTorch SDPA) runs FlashAttention-2-class
   * kernels; said when the plan priced {@code flash} on devices where that is FlashAttention-3 and
   * cuDNN's speed ({@link RooflineParameters#flashAttention2Share} below 1), and when it priced
   * {@code eager}, which torchtitan never runs.
   */
  private static Optional<String> torchtitanAttentionNote(Plan plan) {
    if (plan.training().attention() == Attention.EAGER) {
      return Optional.of(
          "the plan priced eager attention (unfused kernels, the s² scores kept in memory);\n"
              + "# torchtitan runs FlexAttention or PyTorch SDPA, fused FlashAttention-2-class\n"
              + "# kernels: faster, without the scores' memory. Re-plan with --attention flash2 for\n"
              + "# the prediction of what torchtitan runs.");
    }
    if (plan.training().attention() != Attention.FLASH) {
      return Optional.empty();
    }
    boolean faster = false;
    for (DeviceGroup group : plan.cluster().groups()) {
      faster |= RooflineParameters.of(group.device()).flashAttention2Share() < 1;
    }
    if (!faster) {
      return Optional.empty();
    }
    return Optional.of(
        "the plan priced flash attention at FlashAttention-3 and cuDNN's speed; torchtitan runs\n"
            + "# FlexAttention or PyTorch SDPA, FlashAttention-2-class kernels, about 0.62 of it on\n"
            + "# these GPUs. Re-plan with --attention flash2 for the prediction of what torchtitan runs.");
  }

  /**
   * torchtitan reduces (and, under FSDP, keeps) the gradients in fp32 ({@code
   * mixed_precision_reduce}); said when the plan priced 16-bit gradients (accumulated in place).
   */
  private static Optional<String> torchtitanReductionNote(Plan plan) {
    TrainingSpec t = plan.training();
    if (t.gradientAccumulation() != GradientAccumulation.IN_PLACE || t.dtype() == DType.FP32) {
      return Optional.empty();
    }
    return Optional.of(
        "torchtitan reduces the gradients in float32 (mixed_precision_reduce); the plan priced\n"
            + "# them kept and reduced in the training dtype (--grad-accumulation in-place), so\n"
            + "# its gradient memory and data-parallel time do not hold for it. Re-plan with\n"
            + "# --grad-accumulation fused or fp32-add for the prediction of what torchtitan runs.");
  }

  private static Optional<String> torchtitanShardingNote(Plan plan) {
    int cp = plan.parallelism().cp();
    if (cp > 1 && plan.training().optimizerSharding() == OptimizerSharding.NONE) {
      return Optional.of(
          "torchtitan shards the weights, gradients and optimizer state over the cp = "
              + cp
              + " ranks\n"
              + "# whenever context parallelism is on (ParallelDims.fsdp_enabled; fsdp.py shards over\n"
              + "# dp_shard and cp): this writes FSDP over them without resharding after the forward\n"
              + "# (ZeRO-2), but the plan priced no sharding (--zero 0), so its peak memory and\n"
              + "# data-parallel time do not hold for it. Re-plan with --zero 2 for the prediction of\n"
              + "# the mode torchtitan runs.");
    }
    if (plan.training().optimizerSharding() != OptimizerSharding.ZERO1
        || plan.parallelism().gradientGroup() == 1) {
      return Optional.empty();
    }
    return Optional.of(
        "torchtitan has no ZeRO-1 (its data parallelism is DDP, FSDP or both): this writes the\n"
            + "# nearest that fits, FSDP without resharding after the forward (ZeRO-2), which also\n"
            + "# shards the gradients, and the weights between iterations, so the plan's peak\n"
            + (cp > 1
                ? "# memory and data-parallel time do not hold for it. Re-plan with --zero 2 for the\n"
                    + "# prediction of the mode torchtitan runs."
                : "# memory and data-parallel time do not hold for it. Re-plan with --zero 2 (or\n"
                    + "# --zero 0 for DDP) for the prediction of the mode torchtitan runs."));
  }

  /**
   * The name torchtitan passes to PyTorch's {@code get_schedule_class} to place stages on ranks:
   * torchtitan's {@code _get_pp_rank_to_stage_indices_mapping} uses the V placement for {@code
   * ZBVZeroBubble} and {@code DualPipeV} (two stages per rank, rank r holds r and 2p-1-r) and the
   * looped one (stage s on rank s mod p) for every other class.
   */
  static String torchtitanScheduleName(Plan plan) {
    if (plan.kind() == ScheduleKind.DUALPIPE_V) {
      return "DualPipeV";
    }
    if (plan.kind().vShaped()) {
      return "ZBVZeroBubble";
    }
    return plan.virtualStages() == 1 ? "PipelineScheduleSingle" : "PipelineScheduleMulti";
  }

  private static String placementSentence(Plan plan) {
    int pp = plan.parallelism().pp();
    if (plan.kind().vShaped()) {
      return "stages r and " + (2 * pp - 1) + "-r on rank r (V-shaped), as the plan does";
    }
    return plan.virtualStages() == 1
        ? "stage s on rank s, as the plan does"
        : "stage s on rank s mod " + pp + " (looped), as the plan does";
  }

  /** torchtitan's built-in schedule of the same kind, or "" when it has none. */
  private static String torchtitanBuiltin(ScheduleKind kind) {
    return switch (kind) {
      case GPIPE -> "GPipe";
      case ONE_F_ONE_B -> "1F1B";
      case INTERLEAVED_1F1B -> "Interleaved1F1B";
      case LOOPED_BFS -> "LoopedBFS";
      case ZB_H1, ZB_H2 -> "InterleavedZeroBubble";
      case ZB_V -> "ZBVZeroBubble";
      case DUALPIPE_V -> "DualPipeV";
      case ZB_AUTO, V_HALF, V_MIN -> "";
    };
  }

  /**
   * Megatron-LM arguments: parallel sizes, batch sizes and {@code
   * --pipeline-model-parallel-layout}, whose '|'-separated stages (E embedding, t transformer
   * layer, L final norm + output + loss) are listed in global virtual stage order, which Megatron
   * maps to ranks looped, as pipeplan does.
   */
  static String megatron(Plan plan) {
    refuseWhatMegatronRejects(plan);
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
    megatronScheduleNote(plan).ifPresent(n -> b.append("# ").append(n).append('\n'));
    optimizerStepNote(plan, ExportTarget.MEGATRON)
        .ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    megatronPipelineSendsNote(plan).ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    pipelineHandOffNote(plan, "Megatron-LM", false)
        .ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    megatronGradientShardingNote(plan).ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    megatronBiasNote(plan).ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    if (plan.training().fp8Linears()) {
      b.append(
          "# FP8 linears: --fp8-format hybrid (E4M3 for the inputs and weights, E5M2 for the output"
              + " gradients) with --fp8-recipe tensorwise (Transformer Engine's"
              + " Float8CurrentScaling: per-tensor current scaling; Megatron's default recipe is"
              + " delayed) run every transformer block's linear GEMMs in FP8, forward, dgrad and"
              + " wgrad (--first-last-layers-bf16 is off by default); the output layer, Megatron's"
              + " own ColumnParallelLinear, and the attention (--fp8-dot-product-attention off)"
              + " stay in the training dtype, as pipeplan priced. Needs Transformer Engine 2.2 or"
              + " later and --transformer-impl transformer_engine (the default).\n");
    }
    megatronFp8Note(plan).ifPresent(n -> b.append("# Note: ").append(n).append('\n'));
    int cp = plan.parallelism().cp();
    if (cp > 1) {
      b.append("# --context-parallel-size ")
          .append(cp)
          .append(
              " splits each sequence over that many ranks in 2 x cp load-balanced chunks;"
                  + " --cp-comm-type p2p, Megatron-Core's default ring, passes the keys and values"
                  + " round under the attention, as pipeplan priced it. It runs in Transformer"
                  + " Engine's attention (--attention-backend auto).\n");
    }
    if (plan.training().optimizerSharding().shardsParameters()) {
      b.append(
          "# --use-torch-fsdp2 needs CUDA_DEVICE_MAX_CONNECTIONS unset or above 1"
              + " (validate_args asserts it).\n");
      if (lmHeadTied(plan).isEmpty()) {
        b.append(
            "# Note: the model does not say whether its output layer shares the embedding's"
                + " weights; --use-torch-fsdp2 needs them untied, so a tied model trains with its"
                + " own output matrix here.\n");
      }
    }
    b.append("PIPEPLAN_ARGS=(\n");
    b.append("  --tensor-model-parallel-size ").append(plan.parallelism().tp()).append('\n');
    b.append("  --pipeline-model-parallel-size ").append(plan.parallelism().pp()).append('\n');
    if (cp > 1) {
      b.append("  --context-parallel-size ").append(cp).append('\n');
      b.append("  --cp-comm-type p2p\n");
    }
    b.append("  --num-layers ").append(blocks).append('\n');
    megatronKvChannels(plan).ifPresent(d -> b.append("  --kv-channels ").append(d).append('\n'));
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
    // Megatron-LM shares the embedding with the output layer unless told otherwise
    // (share_embeddings_and_output_weights = not --untie-embeddings-and-output-weights): a model
    // whose head has its own weights (Llama) was priced with them, and with no embedding-gradient
    // all-reduce between the first and last stage. ZeRO-3 writes the flag below.
    if (!plan.training().optimizerSharding().shardsParameters()
        && lmHeadTied(plan).equals(Optional.of(false))) {
      b.append("  --untie-embeddings-and-output-weights\n");
    }
    // Without --bf16 or --fp16 Megatron-LM trains in fp32 (both default False in
    // ModelParallelConfig; the flags are generated from it).
    b.append(
        switch (plan.training().dtype()) {
          case BF16 -> "  --bf16\n";
          case FP16 -> "  --fp16\n";
          case FP32, TF32 -> "";
          case FP8 -> throw new IllegalStateException("refused by refuseWhatMegatronRejects");
        });
    if (plan.training().fp8Linears()) {
      // TransformerConfig.fp8 (--fp8-format: e4m3 | hybrid) and fp8_recipe (tensorwise | delayed
      // | mxfp8 | blockwise | custom, default delayed); get_fp8_recipe builds
      // Float8CurrentScaling(fp8_format=HYBRID) from these two
      b.append("  --fp8-format hybrid\n  --fp8-recipe tensorwise\n");
    }
    if (!plan.training().optimizerSharding().shardsParameters()) {
      b.append(megatronAccumulation(plan.training()));
    }
    if (plan.parallelism().tp() > 1 && plan.training().sequenceParallel()) {
      b.append("  --sequence-parallel\n");
    }
    b.append(
        switch (plan.training().recompute()) {
          case NONE -> "";
          case SELECTIVE -> "  --recompute-granularity selective\n";
          case FULL ->
              "  --recompute-granularity full\n  --recompute-method uniform\n"
                  + "  --recompute-num-layers 1\n";
        });
    // Megatron-Core picks the attention kernel by --attention-backend (a TransformerConfig field;
    // --use-flash-attn is parsed but read nowhere at d98e8a6): auto, its default, lets Transformer
    // Engine run its fused or flash kernel, which keep no s x s scores, as a flash plan priced;
    // unfused materialises the scores, as an eager plan priced (and would otherwise not run); flash
    // is Transformer Engine's backend over the flash-attn package, FlashAttention-2's kernels as a
    // flash2 plan priced (AttnBackend in megatron/core/transformer/enums.py at d98e8a6)
    b.append(
        switch (plan.training().attention()) {
          case FLASH -> "  --attention-backend auto\n";
          case FLASH2 -> "  --attention-backend flash\n";
          case EAGER -> "  --attention-backend unfused\n";
        });
    if (plan.training().optimizerSharding().shardsParameters()) {
      // What validate_args asserts --use-torch-fsdp2 needs besides pp = 1, no fp16 and the
      // unfused accumulation (refused above otherwise); torch_dist is also the default format.
      b.append("  --use-torch-fsdp2\n");
      b.append("  --no-gradient-accumulation-fusion\n");
      b.append("  --untie-embeddings-and-output-weights\n");
      b.append("  --ckpt-format torch_dist\n");
    } else if (plan.training().optimizerSharding().shardsState()) {
      b.append("  --use-distributed-optimizer\n");
    }
    // The plan prices the data-parallel traffic under the backward unless told
    // --no-dp-comm-overlap; Megatron-LM overlaps it only with --overlap-grad-reduce (off by
    // default), and the distributed optimizer's weight all-gather only with --overlap-param-gather,
    // which validate_args allows only with the distributed optimizer and --overlap-grad-reduce.
    // FSDP2 (ZeRO-3) prefetches and overlaps on its own, as pipeplan prices it either way.
    // With context parallelism the gradients are reduced over the dp x cp ranks (Megatron's
    // dp_cp group), so dp = 1 still has traffic to overlap.
    if (plan.parallelism().gradientGroup() > 1
        && !plan.training().gradientSyncAfterBackward()
        && !plan.training().optimizerSharding().shardsParameters()) {
      b.append("  --overlap-grad-reduce\n");
      if (plan.training().optimizerSharding().shardsState()) {
        b.append("  --overlap-param-gather\n");
      }
    }
    if (plan.parallelism().tp() > 1 && plan.training().tensorParallelOverlap()) {
      b.append("  --tp-comm-overlap\n");
    }
    if (plan.virtualStages() > 1 && plan.training().blockingSends()) {
      b.append("  --no-overlap-p2p-communication\n");
    }
    b.append(")\n");
    b.append(megatronModelArgs(plan));
    return b.toString();
  }

  /**
   * The architecture the plan priced, as Megatron-LM's model arguments ({@code
   * PIPEPLAN_MODEL_ARGS}): widths, heads and query groups, the MLP's gating, the norm, biases,
   * dropout and position embedding, from the first block's shape and the embedding's (arguments.py
   * and TransformerConfig at {@link #MEGATRON_COMMIT}: Megatron defaults to LayerNorm, GELU,
   * biases, dropout 0.1 and learned positions, so a Llama priced without them needs each flag). The
   * vocabulary comes from Megatron's tokenizer, so it is a comment.
   */
  static String megatronModelArgs(Plan plan) {
    LayerShape.TransformerBlock block = null;
    LayerShape.Embedding embedding = null;
    for (LayerSpec layer : plan.model().layers()) {
      if (block == null && layer.shape() instanceof LayerShape.TransformerBlock b) {
        block = b;
      }
      if (embedding == null && layer.shape() instanceof LayerShape.Embedding e) {
        embedding = e;
      }
    }
    if (block == null
        || block.hidden().isEmpty()
        || block.heads().isEmpty()
        || block.ffn().isEmpty()) {
      return "# Note: the model's blocks state no hidden size, heads and FFN width, so the model"
          + " arguments are yours to give.\n";
    }
    StringBuilder b = new StringBuilder();
    if (embedding != null && embedding.vocab().isPresent()) {
      b.append("# The plan priced a vocabulary of ")
          .append(embedding.vocab().getAsLong())
          .append(
              " tokens; Megatron-LM takes it from its tokenizer (--tokenizer-type), padded to a"
                  + " multiple of --make-vocab-size-divisible-by x tp.\n");
    }
    long heads = block.heads().getAsLong();
    long kvHeads = block.kvHeads().orElse(heads);
    long bias = block.bias().orElse(1);
    // the same reading of the shapes as the cost model's (a block without a dropout key has
    // dropout where it has biases; an embedding without learned positions is rotary)
    ModelFeatures features = ModelFeatures.of(plan.model());
    boolean rotary = features.rotary();
    b.append("PIPEPLAN_MODEL_ARGS=(\n");
    b.append("  --hidden-size ").append(block.hidden().getAsLong()).append('\n');
    b.append("  --ffn-hidden-size ").append(block.ffn().getAsLong()).append('\n');
    b.append("  --num-attention-heads ").append(heads).append('\n');
    if (kvHeads != heads) {
      b.append("  --group-query-attention\n  --num-query-groups ").append(kvHeads).append('\n');
    }
    if (block.gated().orElse(0) != 0) {
      b.append("  --swiglu\n");
    }
    if (bias == 0) {
      // pipeplan's bias-free blocks are RMSNorm blocks (the Llama family), as the cost model and
      // the executors build them
      b.append("  --normalization RMSNorm\n");
    }
    boolean qkvBias = block.qkvBias().orElse(bias) != 0;
    boolean linearBias = block.outBias().orElse(bias) != 0 || block.mlpBias().orElse(bias) != 0;
    if (!linearBias) {
      b.append("  --disable-bias-linear\n");
      if (qkvBias) {
        b.append("  --add-qkv-bias\n");
      }
    }
    if (block.qkNorm().orElse(0) != 0) {
      b.append("  --qk-layernorm\n");
    }
    if (!features.dropout()) {
      b.append("  --hidden-dropout 0.0\n  --attention-dropout 0.0\n");
    }
    if (rotary) {
      b.append("  --position-embedding-type rope\n");
      block.ropeTheta().ifPresent(theta -> b.append("  --rotary-base ").append(theta).append('\n'));
    }
    long positions =
        embedding == null
            ? plan.training().sequenceLength()
            : rotary || embedding.positions().isEmpty()
                ? plan.training().sequenceLength()
                : embedding.positions().getAsLong();
    if (positions > 0) {
      b.append("  --max-position-embeddings ").append(positions).append('\n');
    }
    b.append(")\n");
    return b.toString();
  }

  /**
   * The Megatron-LM snapshot whose {@code validate_args} the Megatron export was checked against.
   */
  static final String MEGATRON_COMMIT = "d98e8a6";

  /**
   * Refuses a plan whose modes Megatron-LM's argument validation ({@code
   * megatron/training/arguments.py}, {@code validate_args}, at {@link #MEGATRON_COMMIT}) rejects,
   * or that it would run as another mode than the one the plan priced.
   */
  /**
   * The flags that make Megatron-LM accumulate the gradients as the plan priced them (its {@code
   * validate_args} at {@link #MEGATRON_COMMIT}: with bf16 the gradients are accumulated and reduced
   * in fp32 unless {@code --grad-reduce-in-bf16}; with fp16 in fp16 unless {@code
   * --accumulate-allreduce-grads-in-fp32}; the weight-gradient GEMM adds into them unless {@code
   * --no-gradient-accumulation-fusion}, when a hook adds each micro-batch's gradients). An fp32
   * plan needs none; ZeRO-3's FSDP2 writes its own.
   */
  private static String megatronAccumulation(TrainingSpec training) {
    boolean bf16 = training.dtype() == DType.BF16;
    boolean fp16 = training.dtype() == DType.FP16;
    if (!bf16 && !fp16) {
      return "";
    }
    return switch (training.gradientAccumulation()) {
      case FUSED -> fp16 ? "  --accumulate-allreduce-grads-in-fp32\n" : "";
      case FP32_ADD ->
          "  --no-gradient-accumulation-fusion\n"
              + (fp16 ? "  --accumulate-allreduce-grads-in-fp32\n" : "");
      case IN_PLACE ->
          "  --no-gradient-accumulation-fusion\n" + (bf16 ? "  --grad-reduce-in-bf16\n" : "");
      case FP32_CAST_ADD -> throw new IllegalStateException("refused by refuseWhatMegatronRejects");
    };
  }

  /**
   * Megatron-LM runs 1F1B (interleaved with v > 1) whatever the plan's kind: said when the plan is
   * another kind (GPipe, the zero-bubble kinds).
   */
  private static Optional<String> megatronScheduleNote(Plan plan) {
    if (plan.kind() == ScheduleKind.ONE_F_ONE_B || plan.kind() == ScheduleKind.INTERLEAVED_1F1B) {
      return Optional.empty();
    }
    return Optional.of(
        "pipeplan planned '"
            + plan.scheduleKind()
            + "'; Megatron-LM runs "
            + (plan.virtualStages() > 1 ? "interleaved 1F1B" : "1F1B")
            + " with this layout, so its time will differ from pipeplan's prediction.");
  }

  /**
   * Megatron-LM's distributed optimizer shards only the optimizer state: each rank keeps the whole
   * fp32 gradient buffer, reduce-scattered into it ({@code theoretical_memory_usage.py} at {@link
   * #MEGATRON_COMMIT}: 6 + 12/dp bytes a parameter). A ZeRO-2 plan priced the gradients sharded
   * over dp (dp x cp), so its peak memory is low by the unsharded part.
   */
  private static Optional<String> megatronGradientShardingNote(Plan plan) {
    if (plan.training().optimizerSharding() != OptimizerSharding.ZERO2
        || plan.parallelism().gradientGroup() == 1) {
      return Optional.empty();
    }
    return Optional.of(
        "the plan shards the gradients over "
            + gradientRanks(plan.parallelism())
            + " (optimizerSharding zero2), but Megatron-LM's distributed optimizer"
            + " (--use-distributed-optimizer) shards only the optimizer state and keeps every"
            + " rank's gradient buffer whole, so each device holds more than the plan's peak"
            + " memory. Re-plan with --zero 1 to predict what Megatron-LM runs.");
  }

  /**
   * The head width of a model whose blocks set one other than hidden / heads (Qwen3, Mistral-Nemo):
   * Megatron-LM's {@code --kv-channels}, which otherwise defaults to hidden / heads and would
   * build, and train, narrower attention than the plan priced.
   */
  static Optional<Long> megatronKvChannels(Plan plan) {
    for (LayerSpec layer : plan.model().layers()) {
      if (layer.shape() instanceof LayerShape.TransformerBlock block
          && block.headDim().isPresent()
          && block.hidden().isPresent()
          && block.heads().isPresent()
          && block.heads().getAsLong() > 0
          && block.headDim().getAsLong() * block.heads().getAsLong()
              != block.hidden().getAsLong()) {
        return Optional.of(block.headDim().getAsLong());
      }
    }
    return Optional.empty();
  }

  /**
   * Megatron-LM has biases on every linear layer or, with {@code --disable-bias-linear}, on none
   * (q, k and v alone with {@code --add-qkv-bias}): a block with biases on the output or MLP but
   * not on q, k and v has no flags.
   */
  private static Optional<String> megatronBiasNote(Plan plan) {
    for (LayerSpec layer : plan.model().layers()) {
      if (layer.shape() instanceof LayerShape.TransformerBlock block) {
        long bias = block.bias().orElse(1);
        boolean qkv = block.qkvBias().orElse(bias) != 0;
        boolean linear = block.outBias().orElse(bias) != 0 || block.mlpBias().orElse(bias) != 0;
        return linear && !qkv
            ? Optional.of(
                "the plan priced blocks with biases on the output or MLP projections but not on"
                    + " q, k and v, which Megatron-LM's arguments cannot build: it trains them"
                    + " with biases on every linear layer.")
            : Optional.empty();
      }
    }
    return Optional.empty();
  }

  /**
   * Megatron-LM overlaps pipeline sends only in its interleaved schedule ({@code validate_args} at
   * {@link #MEGATRON_COMMIT} turns {@code overlap_p2p_comm} off for the plain one): a one-chunk
   * plan priced with sends beside the compute will run with blocking sends.
   */
  private static Optional<String> megatronPipelineSendsNote(Plan plan) {
    if (plan.virtualStages() > 1
        || plan.parallelism().pp() == 1
        || plan.training().blockingSends()) {
      return Optional.empty();
    }
    return Optional.of(
        "Megatron-LM runs 1F1B without pipeline-send overlap (validate_args turns"
            + " overlap_p2p_comm off outside the interleaved schedule), but the plan prices the"
            + " sends beside the compute; re-plan with --no-pp-comm-overlap to predict what it"
            + " runs.");
  }

  /**
   * Where the engine hands a stage's output to the next otherwise than the plan priced: with tp > 1
   * and no sequence parallelism, Megatron-Core and torchtitan send all of it from every tensor rank
   * (Megatron-LM's scatter/gather was dropped with the move to Megatron-Core, 2023-01), DeepSpeed's
   * pipeline engine sends each rank's 1/t share ({@code pipe_partitioned}). Empty where the plan
   * priced what the engine does, or where it does not matter (pp = 1, tp = 1, sequence parallel).
   *
   * @param engineScatters whether the engine splits the sends over the tensor ranks
   */
  private static Optional<String> pipelineHandOffNote(
      Plan plan, String engine, boolean engineScatters) {
    if (plan.parallelism().pp() == 1
        || plan.parallelism().tp() == 1
        || plan.training().sequenceParallel()
        || plan.training().wholeHandOffs() != engineScatters) {
      return Optional.empty();
    }
    return Optional.of(
        engineScatters
            ? engine
                + " splits each pipeline send over the tensor-parallel ranks (pipe_partitioned),"
                + " but the plan prices every rank sending a stage's whole output; re-plan with"
                + " --pp-scatter-gather to predict what it runs."
            : engine
                + " sends a stage's whole output from every tensor-parallel rank without sequence"
                + " parallelism, but the plan prices each rank sending 1/"
                + plan.parallelism().tp()
                + " of it; re-plan with --no-pp-scatter-gather to predict what it runs.");
  }

  /**
   * What Megatron-LM's FP8 linears run otherwise than the plan priced, both making them faster:
   * Transformer Engine casts each weight (and its transposed copy) to FP8 on an iteration's first
   * micro-batch and reuses it for the others ({@code is_first_microbatch}, which Megatron sets per
   * iteration; FSDP2 turns the cache off), where the plan priced the casts on every micro-batch;
   * and under sequence parallelism it all-gathers the column-parallel linears' inputs in FP8, one
   * byte an element where the plan priced the training dtype's two. Empty without FP8 linears or
   * when neither applies.
   */
  private static Optional<String> megatronFp8Note(Plan plan) {
    TrainingSpec t = plan.training();
    if (!t.fp8Linears()) {
      return Optional.empty();
    }
    List<String> runs = new ArrayList<>();
    if (plan.microBatchCount() > 1
        && !t.optimizerSharding().shardsParameters()
        && !t.castsFp8WeightsOncePerIteration()) {
      runs.add(
          "casts each weight and its transposed copy to FP8 once an iteration, on the first of"
              + " its "
              + plan.microBatchCount()
              + " micro-batches (Transformer Engine's is_first_microbatch cache), where the plan"
              + " priced the casts on every micro-batch (--fp8-weight-casts micro-batch)");
    }
    if (plan.parallelism().tp() > 1 && t.sequenceParallel()) {
      runs.add(
          "all-gathers the column-parallel linears' inputs over the tp = "
              + plan.parallelism().tp()
              + " ranks in FP8 (cast before the gather), one byte an element where pipeplan priced"
              + " "
              + t.dtype().bytes()
              + " bytes");
    }
    if (runs.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "with FP8 linears Megatron-LM (Transformer Engine) "
            + String.join(", and ", runs)
            + ", so expect its iteration somewhat shorter than the plan's prediction.");
  }

  /**
   * The first block's GEMM shape that Transformer Engine's FP8 check ({@code
   * transformer_engine/pytorch/utils.py} {@code assert_dim_for_fp8_exec}, run on each linear's
   * input and weight) refuses, as a clause for the message; empty without FP8 linears, for a block
   * that states no widths, or when every shape passes. Per tensor rank, as Megatron splits them:
   * QKV and the MLP's up projection by output columns, the attention output and the MLP's down
   * projection by input columns; under sequence parallelism the QKV and up projections' inputs hold
   * s/(cp x tp) tokens of each sequence before their all-gather.
   */
  static Optional<String> megatronFp8ShapeProblem(Plan plan) {
    if (!plan.training().fp8Linears()) {
      return Optional.empty();
    }
    Optional<LinearWidths> found = LinearWidths.of(plan);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    LinearWidths w = found.get();
    Parallelism par = plan.parallelism();
    int tp = par.tp();
    long q = ceilDiv(w.heads(), tp) * w.headDim();
    long kv = ceilDiv(w.kvHeads(), tp) * w.headDim();
    long f = ceilDiv(w.ffn(), tp);
    long up = (w.gated() ? 2 : 1) * f;
    String perRank = tp > 1 ? " per tensor rank (tp = " + tp + ")" : "";
    if (w.hidden() % 16 != 0) {
      return Optional.of(
          "the hidden size "
              + w.hidden()
              + " (the QKV and MLP up projections' input width) is not a multiple of 16");
    }
    if (q % 16 != 0) {
      return Optional.of(
          "the attention output projection's input width "
              + q
              + perRank
              + " is not a multiple of 16");
    }
    if (f % 16 != 0) {
      return Optional.of(
          "the MLP down projection's input width " + f + perRank + " is not a multiple of 16");
    }
    if ((q + 2 * kv) % 8 != 0) {
      return Optional.of(
          "the QKV projection's output width "
              + (q + 2 * kv)
              + perRank
              + " is not a multiple of 8");
    }
    if (up % 8 != 0) {
      return Optional.of(
          "the MLP up projection's output width " + up + perRank + " is not a multiple of 8");
    }
    long tokens =
        (long) plan.microBatchSize() * plan.training().sequenceLength() / Math.max(1, par.cp());
    long gathered = tp > 1 && plan.training().sequenceParallel() ? tokens / tp : tokens;
    if (plan.training().sequenceLength() > 0 && gathered % 8 != 0) {
      return Optional.of(
          "a micro-batch's "
              + gathered
              + " tokens"
              + (gathered != tokens
                  ? " per tensor rank before the sequence-parallel all-gather"
                  : "")
              + " are not a multiple of 8");
    }
    return Optional.empty();
  }

  private static long ceilDiv(long value, long divisor) {
    return (value + divisor - 1) / divisor;
  }

  /**
   * The widths of the first transformer block's linear layers as the cost model reads them: the
   * hidden size, heads and key/value heads {@code headDim} wide (else hidden / heads), the MLP's
   * width and whether its up projection is gated (two fused). Empty when the block leaves any out.
   */
  record LinearWidths(
      long hidden, long heads, long kvHeads, long headDim, long ffn, boolean gated) {
    static Optional<LinearWidths> of(Plan plan) {
      for (LayerSpec layer : plan.model().layers()) {
        if (layer.shape() instanceof LayerShape.TransformerBlock block) {
          if (block.hidden().isEmpty()
              || block.heads().isEmpty()
              || block.heads().getAsLong() <= 0
              || block.ffn().isEmpty()) {
            return Optional.empty();
          }
          long hidden = block.hidden().getAsLong();
          long heads = block.heads().getAsLong();
          return Optional.of(
              new LinearWidths(
                  hidden,
                  heads,
                  block.kvHeads().orElse(heads),
                  block.effectiveHeadDim().getAsLong(),
                  block.ffn().getAsLong(),
                  block.gated().orElse(0) != 0));
        }
      }
      return Optional.empty();
    }
  }

  private static void refuseWhatMegatronRejects(Plan plan) {
    int cp = plan.parallelism().cp();
    if (cp > 1 && plan.training().attention() == Attention.EAGER) {
      // Megatron-Core's own DotProductAttention (--attention-backend local) asserts
      // context_parallel_size == 1, and Transformer Engine's get_attention_backend turns its
      // UnfusedDotProductAttention off under context parallelism, which leaves --attention-backend
      // unfused no kernel: only TE's flash and fused kernels run the ring.
      throw new BadInputException(
          "the plan prices attention 'eager' (the s x s scores kept) at cp = "
              + cp
              + ", but Megatron-LM ("
              + MEGATRON_COMMIT
              + ") runs context parallelism only in Transformer Engine's flash or fused attention,"
              + " which keep no scores: its unfused kernels refuse cp > 1. Maybe re-plan with"
              + " --attention flash to export it to Megatron-LM.");
    }
    if (plan.virtualStages() > 1
        && plan.training().blockingSends()
        && plan.parallelism().pp() <= 2) {
      // validate_args: interleaving without p2p overlap needs pp > 2, "to avoid having multiple
      // p2p sends and recvs between same 2 ranks per communication batch"
      throw new BadInputException(
          "the plan interleaves "
              + plan.virtualStages()
              + " chunks over pp = "
              + plan.parallelism().pp()
              + " with blocking pipeline sends (--no-pp-comm-overlap), which Megatron-LM ("
              + MEGATRON_COMMIT
              + ", validate_args) allows only with pp > 2. Maybe re-plan with a larger --pp or"
              + " without --no-pp-comm-overlap to export to Megatron-LM.");
    }
    if (plan.training().gradientAccumulation() == GradientAccumulation.FP32_CAST_ADD
        && (plan.training().dtype() == DType.BF16 || plan.training().dtype() == DType.FP16)) {
      throw new BadInputException(
          "the plan prices gradientAccumulation 'fp32-cast-add' (DeepSpeed's bf16 optimizer: each"
              + " micro-batch's 16-bit gradients cast to fp32, then added), which Megatron-LM has no"
              + " flag for: it adds into an fp32 buffer fused in the weight-gradient GEMM or by a"
              + " hook. Maybe re-plan with --grad-accumulation fused (Megatron's default) or"
              + " fp32-add (--no-gradient-accumulation-fusion) to export to Megatron-LM.");
    }
    if (plan.training().gradientAllReduce()
        && plan.training().optimizerSharding().shardsState()
        && !plan.training().optimizerSharding().shardsParameters()
        && plan.parallelism().gradientGroup() > 1) {
      // Megatron's distributed optimizer reduce-scatters the gradient buffer into each rank's
      // shard (param_and_grad_buffer: reduce_scatter_tensor with use_distributed_optimizer); it
      // has no flag to all-reduce them and step a shard, as DeepSpeed's bf16 optimizer does.
      throw new BadInputException(
          "the plan all-reduces the gradients over "
              + gradientRanks(plan.parallelism())
              + " with the optimizer state sharded (gradientAllReduce, --dp-all-reduce: DeepSpeed's"
              + " bf16 optimizer), but Megatron-LM's distributed optimizer reduce-scatters them"
              + " into each rank's shard and has no flag to all-reduce. Maybe re-plan without"
              + " --dp-all-reduce to export to Megatron-LM"
              + (plan.training().optimizerSharding() == OptimizerSharding.ZERO1
                      && plan.parallelism().cp() == 1
                  ? ", or export this plan to DeepSpeed."
                  : "."));
    }
    if (plan.training().crossEntropy() == CrossEntropy.FUSED) {
      // validate_args asserts not (cross_entropy_loss_fusion and cross_entropy_fusion_impl ==
      // 'te'): "disabled due to stability issues". Its 'native' fusion upcasts the logits to fp32
      // and keeps the fp32 softmax, which is what pipeplan prices as unfused, not the plan's
      // TransformerEngine kernels over the 16-bit logits; writing it would run another mode.
      throw new BadInputException(
          "the plan prices crossEntropy 'fused' (TransformerEngine's kernels, Megatron's"
              + " --cross-entropy-fusion-impl te), which Megatron-LM ("
              + MEGATRON_COMMIT
              + ", validate_args) refuses for stability; its only fusion left, 'native', upcasts"
              + " the logits to fp32 and keeps the fp32 softmax as pipeplan's 'unfused' does."
              + " Maybe re-plan with --cross-entropy unfused to export to Megatron-LM.");
    }
    megatronFp8ShapeProblem(plan)
        .ifPresent(
            problem -> {
              throw new BadInputException(
                  "the plan has training.fp8Linears = true, but Transformer Engine's FP8 GEMMs,"
                      + " which Megatron-LM runs them with, need the last dimension of each input"
                      + " and weight to be a multiple of 16 and the product of the others a"
                      + " multiple of 8 (assert_dim_for_fp8_exec), and "
                      + problem
                      + ". Maybe re-plan without --fp8"
                      + (plan.parallelism().tp() > 1 ? ", or with another --tp," : "")
                      + " to export to Megatron-LM.");
            });
    TrainingSpec training = plan.training();
    if (training.dtype() == DType.FP8) {
      throw new BadInputException(
          "the plan trains in fp8; Megatron-LM trains fp8 GEMMs inside --bf16 or --fp16 training"
              + " (--fp8-format and its recipe), which pipeplan's fp8 dtype does not say. Maybe"
              + " plan the model in bf16 to export it to Megatron-LM.");
    }
    if (plan.parallelism().tp() > 1
        && training.tensorParallelOverlap()
        && !training.sequenceParallel()) {
      // validate_args: 'Tensor parallel communication/GEMM overlap can happen only when sequence
      // parallelism is enabled'. plan and simulate refuse the pair; this is a plan file from
      // before, or edited.
      throw new BadInputException(
          "the plan has tensorParallelOverlap without sequenceParallel at tp = "
              + plan.parallelism().tp()
              + "; Megatron-LM ("
              + MEGATRON_COMMIT
              + ", validate_args) runs --tp-comm-overlap only with --sequence-parallel, whose"
              + " all-gather and reduce-scatter it overlaps. Maybe re-plan without"
              + " --no-sequence-parallel or without --tp-comm-overlap.");
    }
    if (training.optimizerSharding().shardsParameters()) {
      // ZeRO-3 is torch FSDP2 in Megatron-LM (--use-torch-fsdp2); validate_args asserts
      // pipeline_model_parallel_size == 1, not fp16, not gradient_accumulation_fusion and
      // untie_embeddings_and_output_weights.
      String fsdp2 =
          "the plan shards the weights (optimizerSharding zero3, PyTorch FSDP), which Megatron-LM"
              + " runs as --use-torch-fsdp2, and Megatron-LM ("
              + MEGATRON_COMMIT
              + ", validate_args) ";
      int pp = plan.parallelism().pp();
      if (pp > 1) {
        throw new BadInputException(
            fsdp2
                + "does not support --use-torch-fsdp2 with pipeline parallelism, but the plan has"
                + " pp = "
                + pp
                + ". Maybe re-plan with --zero 1 (Megatron's distributed optimizer) to export to"
                + " Megatron-LM, or export this plan to torchtitan.");
      }
      if (training.dtype() == DType.FP16) {
        throw new BadInputException(
            fsdp2
                + "does not support --use-torch-fsdp2 with fp16, the plan's dtype. Maybe re-plan"
                + " with --zero 1 to export to Megatron-LM.");
      }
      if (training.gradientAccumulation() != GradientAccumulation.IN_PLACE) {
        throw new BadInputException(
            fsdp2
                + "requires --no-gradient-accumulation-fusion with it: FSDP2 accumulates each"
                + " micro-batch's gradients in the training dtype (autograd's param.grad) and"
                + " reduce-scatters them in it, but the plan prices gradientAccumulation '"
                + training.gradientAccumulation().id()
                + "'. Maybe re-plan with --grad-accumulation in-place to export to Megatron-LM.");
      }
      if (lmHeadTied(plan).orElse(false)) {
        throw new BadInputException(
            fsdp2
                + "requires --untie-embeddings-and-output-weights with it, which gives the output"
                + " layer its own vocab x hidden matrix; the plan's model ties it to the embedding"
                + " and was priced so. Maybe re-plan with --zero 1 to export to Megatron-LM.");
      }
    }
  }

  /**
   * Whether the model's output layer shares the embedding's weights: empty when its shape does not
   * say (a model file without {@code tied}).
   */
  private static Optional<Boolean> lmHeadTied(Plan plan) {
    for (LayerSpec layer : plan.model().layers()) {
      if (layer.shape() instanceof LayerShape.LmHead head && head.tied().isPresent()) {
        return Optional.of(head.tied().getAsLong() == 1);
      }
    }
    return Optional.empty();
  }

  /**
   * DeepSpeed: the ds_config batch fields and the PipelineModule's stage boundaries ({@code parts}:
   * stage s holds layers parts[s] .. parts[s+1]-1), with a recipe that reproduces them through
   * {@code PipelineModule}'s public arguments. DeepSpeed runs one stage per rank and its engine
   * runs its own 1F1B schedule, whatever pipeplan planned.
   */
  static String deepspeed(Plan plan) {
    refuseContextParallel(
        plan,
        "DeepSpeed's pipeline engine",
        "places ranks on pipe, data and model axes only (PipeModelDataParallelTopology), with"
            + " every sequence whole on its stage's ranks");
    refuseFp8Linears(
        plan,
        "DeepSpeed's pipeline engine",
        "trains the model code's own layers in its ds_config's precision ('bf16', 'fp16' or"
            + " fp32), and deepspeed.json has no setting that runs their GEMMs in FP8");
    requireOneStagePerRank(plan, "DeepSpeed's PipelineModule", "1f1b");
    int pp = plan.parallelism().pp();
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    ObjectNode config = root.putObject("ds_config");
    config.put("train_batch_size", plan.training().globalBatch());
    config.put("train_micro_batch_size_per_gpu", plan.microBatchSize());
    config.put("gradient_accumulation_steps", plan.microBatchCount());
    int zeroStage = deepspeedZeroStage(plan);
    config.putObject("zero_optimization").put("stage", zeroStage);
    // Without a precision section DeepSpeed trains fp32 (BFLOAT16_ENABLED_DEFAULT and
    // FP16_ENABLED_DEFAULT are False, deepspeed/runtime/constants.py).
    switch (plan.training().dtype()) {
      case BF16 -> config.putObject("bf16").put("enabled", true);
      case FP16 -> config.putObject("fp16").put("enabled", true);
      case FP32, TF32 -> {}
      case FP8 ->
          throw new BadInputException(
              "the plan trains in fp8; DeepSpeed's ds_config trains in bf16, fp16 or fp32 (its"
                  + " 'bf16' and 'fp16' sections), with no fp8 mode to write. Maybe export to"
                  + " megatron or torchtitan.");
    }
    deepspeedGradAccumDtype(plan.training(), zeroStage)
        .ifPresent(dtype -> config.putObject("data_types").put("grad_accum_dtype", dtype));
    boolean full = plan.training().recompute() == Recompute.FULL;
    if (full) {
      // The settings of deepspeed.checkpointing.checkpoint (read by its configure(mpu,
      // deepspeed_config=...)): plain recomputation, as priced; none of partitioning over the
      // tensor-parallel ranks, CPU copies or contiguous buffers.
      ObjectNode checkpointing = config.putObject("activation_checkpointing");
      checkpointing.put("partition_activations", false);
      checkpointing.put("contiguous_memory_optimization", false);
      checkpointing.put("cpu_checkpointing", false);
    }
    ObjectNode pipeline = root.putObject("pipeline_module");
    pipeline.put("num_stages", pp);
    int tp = plan.parallelism().tp();
    if (tp > 1) {
      // Without a topology PipelineModule takes world_size / num_stages, dp x tp, as its
      // data-parallel degree, and the engine's batch check (train_batch_size = micro-batch x
      // accumulation steps x that degree) refuses this ds_config. Its axes pipe, data, model put
      // rank (stage x dp + replica) x tp + tensor rank, the plan's placement.
      ObjectNode topology = pipeline.putObject("topology");
      topology.put("class", "deepspeed.runtime.pipe.topology.PipeModelDataParallelTopology");
      topology.put("num_pp", pp);
      topology.put("num_mp", tp);
      topology.put("num_dp", plan.parallelism().dp());
    }
    pipeline.put("partition_method", "uniform");
    // PipelineModule checkpoints runs of activation_checkpoint_interval of its layers, and the
    // recipe gives it one layer per stage, so 1 would checkpoint whole stages; per-layer
    // checkpointing goes inside the stage (the activation_checkpoint entry).
    pipeline.put("activation_checkpoint_interval", 0);
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
        "recipe",
        "PipelineModule's partition_method ('parameters' by default, 'uniform', 'type:REGEX')"
            + " balances a count and takes no explicit boundaries, so give it one layer per stage:"
            + " wrap layers[parts[s]:parts[s+1]] of each stage s in one torch.nn.Sequential and build"
            + " PipelineModule(layers=[stage_0, ..., stage_"
            + (pp - 1)
            + "], "
            + (tp > 1
                ? "topology=PipeModelDataParallelTopology(num_pp="
                    + pp
                    + ", num_mp="
                    + tp
                    + ", num_dp="
                    + plan.parallelism().dp()
                    + ")"
                : "num_stages=" + pp)
            + ", partition_method='uniform')"
            + (tp > 1
                ? " (the topology, not num_stages: with num_stages alone DeepSpeed takes"
                    + " world_size / num_stages = "
                    + (long) plan.parallelism().dp() * tp
                    + " as the data-parallel degree and refuses train_batch_size; the stages'"
                    + " layers must split their tensors over the "
                    + tp
                    + " model-parallel ranks themselves, as Megatron-DeepSpeed's do)"
                : "")
            + "; with as many layers as stages DeepSpeed's"
            + " partition_uniform puts layer s on stage s. Keep a TiedLayerSpec (tied embedding and"
            + " head) out of the wrappers or untie it; activation_checkpoint_interval then counts"
            + " whole stages.");
    root.put(
        "schedule",
        deepspeedScheduleNote(plan)
            .orElse(DEEPSPEED_SCHEDULE + ", the schedule pipeplan planned."));
    switch (plan.training().recompute()) {
      case NONE -> {}
      case FULL ->
          root.put(
              "activation_checkpoint",
              "The plan recomputes each layer from its input (--recompute full). Inside each"
                  + " stage's torch.nn.Sequential, wrap every transformer block in a module whose"
                  + " forward returns deepspeed.checkpointing.checkpoint(block, x), and call"
                  + " deepspeed.checkpointing.configure(None, deepspeed_config=ds_config) (this"
                  + " ds_config, as a dict or its file)"
                  + " before training. Keep PipelineModule's activation_checkpoint_interval at 0:"
                  + " with one layer per stage, 1 would checkpoint whole stages, keeping less than"
                  + " the plan but recomputing a whole stage's activations at once.");
      case SELECTIVE ->
          root.put(
              "activation_checkpoint",
              "The plan recomputes the attention core only (--recompute selective); DeepSpeed's"
                  + " PipelineModule has no such mode (it is the model code's, e.g."
                  + " Megatron-DeepSpeed's --recompute-granularity selective), so without it every"
                  + " layer keeps its attention activations and the plan's memory prediction does"
                  + " not hold. Re-plan with --recompute full or none for a prediction DeepSpeed"
                  + " runs as priced.");
    }
    deepspeedAccumulationNote(plan.training(), zeroStage)
        .ifPresent(n -> root.put("gradient_accumulation", n));
    deepspeedCommunicationNote(plan).ifPresent(n -> root.put("communication", n));
    pipelineHandOffNote(plan, "DeepSpeed's pipeline engine", true)
        .ifPresent(n -> root.put("pipeline_sends", n));
    optimizerStepNote(plan, ExportTarget.DEEPSPEED).ifPresent(n -> root.put("optimizer_step", n));
    root.put("tensor_parallel_degree", plan.parallelism().tp());
    root.put("data_parallel_degree", plan.parallelism().dp());
    return Json.write(root);
  }

  /**
   * The ZeRO stage of the plan's sharding: DeepSpeed's PipelineEngine asserts stage 0 or 1
   * (gradient and weight sharding need the whole backward in one engine step).
   */
  private static int deepspeedZeroStage(Plan plan) {
    return switch (plan.training().optimizerSharding()) {
      case NONE -> 0;
      case ZERO1 -> 1;
      case ZERO2, ZERO3 ->
          throw new BadInputException(
              "DeepSpeed's pipeline engine supports ZeRO stage 0 or 1, but the plan shards with "
                  + plan.training().optimizerSharding().id()
                  + ". Maybe re-plan with --zero 1 (or 0) to export to DeepSpeed.");
    };
  }

  /**
   * The notes an export writes into its files where the engine will not run what the plan priced
   * (the optimizer step, torchtitan's sharding, DeepSpeed's accumulation), one line each, for the
   * command line to print beside the files.
   */
  public static List<String> notes(Plan plan, ExportTarget target) {
    List<String> notes = new ArrayList<>();
    optimizerStepNote(plan, target).ifPresent(notes::add);
    switch (target) {
      case MEGATRON -> {
        megatronScheduleNote(plan).ifPresent(notes::add);
        megatronPipelineSendsNote(plan).ifPresent(notes::add);
        pipelineHandOffNote(plan, "Megatron-LM", false).ifPresent(notes::add);
        megatronGradientShardingNote(plan).ifPresent(notes::add);
        megatronFp8Note(plan).ifPresent(notes::add);
      }
      case TORCHTITAN -> {
        torchtitanContextParallelNote(plan).map(n -> n.replace("\n# ", " ")).ifPresent(notes::add);
        torchtitanShardingNote(plan).map(n -> n.replace("\n# ", " ")).ifPresent(notes::add);
        pipelineHandOffNote(plan, "torchtitan", false).ifPresent(notes::add);
        torchtitanReductionNote(plan).map(n -> n.replace("\n# ", " ")).ifPresent(notes::add);
        torchtitanPrecisionNote(plan).map(n -> n.replace("\n# ", " ")).ifPresent(notes::add);
        torchtitanFp8CastsNote(plan).map(n -> n.replace("\n# ", " ")).ifPresent(notes::add);
        torchtitanAttentionNote(plan).map(n -> n.replace("\n# ", " ")).ifPresent(notes::add);
      }
      case DEEPSPEED -> {
        deepspeedScheduleNote(plan).ifPresent(notes::add);
        deepspeedAccumulationNote(plan.training(), deepspeedZeroStage(plan)).ifPresent(notes::add);
        deepspeedCommunicationNote(plan).ifPresent(notes::add);
        pipelineHandOffNote(plan, "DeepSpeed's pipeline engine", true).ifPresent(notes::add);
      }
      default -> {}
    }
    return List.copyOf(notes);
  }

  private static final String DEEPSPEED_SCHEDULE =
      "DeepSpeed's PipelineEngine runs its own synchronous 1F1B schedule (TrainSchedule) over"
          + " gradient_accumulation_steps micro-batches";

  /** DeepSpeed runs its own 1F1B: said when the plan is another kind. */
  private static Optional<String> deepspeedScheduleNote(Plan plan) {
    if (plan.kind() == ScheduleKind.ONE_F_ONE_B) {
      return Optional.empty();
    }
    return Optional.of(
        DEEPSPEED_SCHEDULE
            + "; pipeplan planned '"
            + plan.scheduleKind()
            + "', so DeepSpeed's time and memory will differ from pipeplan's prediction."
            + " Re-plan with --schedules 1f1b to predict what DeepSpeed runs.");
  }

  /**
   * DeepSpeed's pipeline engine sends and receives between stages with blocking calls, and reduces
   * the gradients after the last micro-batch's backward: said when the plan priced either beside
   * the compute.
   */
  private static Optional<String> deepspeedCommunicationNote(Plan plan) {
    List<String> priced = new ArrayList<>();
    if (plan.parallelism().pp() > 1 && !plan.training().blockingSends()) {
      priced.add("the pipeline sends beside the compute");
    }
    if (plan.parallelism().dp() > 1 && !plan.training().gradientSyncAfterBackward()) {
      priced.add("the data-parallel gradient reduction under the backward");
    }
    if (priced.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "The plan prices "
            + String.join(" and ", priced)
            + ", but DeepSpeed's pipeline engine blocks on its sends and reduces the gradients"
            + " after the backward; re-plan with --no-pp-comm-overlap --no-dp-comm-overlap to"
            + " predict what it runs.");
  }

  /**
   * The {@code data_types.grad_accum_dtype} that makes DeepSpeed's pipeline engine accumulate as
   * the plan priced ({@code DeepSpeedEngine._do_optimizer_sanity_check}, deepspeedai/DeepSpeed
   * edaa722): in bf16 with ZeRO stage 1, {@code fp32} picks the bf16 optimizer (each micro-batch's
   * gradients cast to fp32 and added) and {@code bf16} the ZeRO optimizer adding them in place; at
   * stage 0 the engine picks the bf16 optimizer itself and refuses an fp32 accumulation type.
   */
  private static Optional<String> deepspeedGradAccumDtype(TrainingSpec training, int zeroStage) {
    if (training.dtype() != DType.BF16 || zeroStage != 1) {
      return Optional.empty();
    }
    return switch (training.gradientAccumulation()) {
      case FP32_CAST_ADD -> Optional.of("fp32");
      case IN_PLACE -> Optional.of("bf16");
      case FUSED, FP32_ADD -> Optional.empty();
    };
  }

  /**
   * Where DeepSpeed's pipeline engine accumulates otherwise than the plan priced (see {@link
   * #deepspeedGradAccumDtype}): it has no accumulation fused in the GEMM nor an fp32 buffer a hook
   * adds into; in bf16 at stage 0 it always casts and adds in fp32; in fp16 it adds in place.
   */
  private static Optional<String> deepspeedAccumulationNote(TrainingSpec training, int zeroStage) {
    boolean bf16 = training.dtype() == DType.BF16;
    boolean fp16 = training.dtype() == DType.FP16;
    if (!bf16 && !fp16) {
      return Optional.empty();
    }
    GradientAccumulation priced = training.gradientAccumulation();
    GradientAccumulation runs;
    if (fp16) {
      runs = GradientAccumulation.IN_PLACE;
    } else if (zeroStage == 0) {
      runs = GradientAccumulation.FP32_CAST_ADD;
    } else if (priced == GradientAccumulation.FP32_CAST_ADD
        || priced == GradientAccumulation.IN_PLACE) {
      runs = priced;
    } else {
      runs = GradientAccumulation.IN_PLACE;
    }
    if (runs == priced) {
      return Optional.empty();
    }
    return Optional.of(
        "The plan prices gradientAccumulation '"
            + priced.id()
            + "', but DeepSpeed's pipeline engine with "
            + training.dtype().id()
            + " and ZeRO stage "
            + zeroStage
            + " accumulates '"
            + runs.id()
            + "' (DeepSpeedEngine._do_optimizer_sanity_check, deepspeedai/DeepSpeed edaa722), so its"
            + " time and memory will differ from the prediction. Re-plan with --grad-accumulation "
            + runs.id()
            + " to predict what DeepSpeed runs.");
  }

  /**
   * torchgpipe: {@code balance} (layers per partition), {@code chunks} (micro-batches) and
   * checkpointing. torchgpipe's {@code GPipe} module is one process driving one pipeline over its
   * {@code devices} with the GPipe schedule only, so a plan with tensor or data parallelism, or
   * another schedule, is refused rather than exported as something else.
   */
  static String torchgpipe(Plan plan) {
    refuseContextParallel(
        plan,
        "torchgpipe",
        "runs one pipeline in one process, every sequence whole on its stage's device");
    refuseFp8Linears(
        plan,
        "torchgpipe",
        "runs the model's own layers in their dtype and has no FP8 setting (torchgpipe.json holds"
            + " the balance, chunks and checkpointing only)");
    requireOneStagePerRank(plan, "torchgpipe", "gpipe");
    Parallelism par = plan.parallelism();
    if (par.tp() > 1 || par.dp() > 1) {
      String field = par.tp() > 1 ? "tp" : "dp";
      int value = par.tp() > 1 ? par.tp() : par.dp();
      throw new BadInputException(
          "plan has "
              + field
              + " = "
              + value
              + "; torchgpipe runs one pipeline in one process with neither tensor nor data"
              + " parallelism, so it needs tp = 1 and dp = 1 (this plan has tp = "
              + par.tp()
              + ", dp = "
              + par.dp()
              + "). Maybe re-plan with --tp 1 and --pp "
              + par.deviceCount()
              + " so that every device is a pipeline stage, or export to torchtitan or megatron.");
    }
    // one stage and one micro-batch: every kind is the same forward then backward
    boolean sameAsGpipe = par.pp() == 1 && plan.microBatchCount() == 1;
    if (plan.kind() != ScheduleKind.GPIPE && !sameAsGpipe) {
      long gpipePeak =
          Simulator.simulate(
                  ScheduleGenerators.generate(
                      ScheduleRequest.of(ScheduleKind.GPIPE, par.pp(), plan.microBatchCount(), 1)),
                  plan.costs())
              .metrics()
              .peakMemoryBytes();
      long limit = plan.predicted().memoryLimitBytes();
      throw new BadInputException(
          String.format(
              Locale.ROOT,
              "plan's schedule is '%s'; torchgpipe runs GPipe only, which keeps the activations of"
                  + " all %d micro-batches until the backward: a peak of %s per device instead of"
                  + " the plan's %s (limit %s)%s. Maybe re-plan with %s.",
              plan.scheduleKind(),
              plan.microBatchCount(),
              gib(gpipePeak),
              gib(plan.predicted().peakMemoryBytes()),
              gib(limit),
              gpipePeak > limit ? ", which does not fit" : "",
              par.pp() == 1
                  // pp = 1 is planned as gradient accumulation whatever kind was asked for
                  ? "--microbatches 1 (one stage runs GPipe as one forward and one backward), or"
                      + " --pp 2 or more with --schedules gpipe"
                  : "--schedules gpipe"));
    }
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    ArrayNode balance = root.putArray("balance");
    for (int c : plan.partition().layerCounts()) {
      balance.add(c);
    }
    root.put("chunks", plan.microBatchCount());
    root.put("checkpoint", plan.training().recompute() == Recompute.FULL ? "always" : "never");
    ArrayNode devices = root.putArray("devices");
    for (int d = 0; d < par.pp(); d++) {
      devices.add("cuda:" + d);
    }
    return Json.write(root);
  }

  private static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
  }

  /**
   * The ranks that reduce the gradients together, as messages name them: "dp = 2", or with context
   * parallelism "dp x cp = 8".
   */
  private static String gradientRanks(Parallelism par) {
    return (par.cp() > 1 ? "dp x cp = " : "dp = ") + par.gradientGroup();
  }

  /**
   * Refuses a plan with context parallelism (cp > 1) for an engine that cannot split a sequence
   * over devices: only Megatron-LM and torchtitan run it.
   *
   * @param engine how the message names the engine ("torchgpipe")
   * @param why what the engine does instead, after the engine's name
   */
  static void refuseContextParallel(Plan plan, String engine, String why) {
    int cp = plan.parallelism().cp();
    if (cp > 1) {
      throw new BadInputException(
          "plan has cp = "
              + cp
              + " (each sequence split over "
              + cp
              + " devices); "
              + engine
              + " "
              + why
              + ", so it needs cp = 1. Maybe re-plan with --cp 1, or export to megatron or"
              + " torchtitan.");
    }
  }

  /**
   * Refuses a plan with FP8 linears ({@link TrainingSpec#fp8Linears}) for an engine that would run
   * them in the training dtype: only Megatron-LM (Transformer Engine's current scaling) and
   * torchtitan (torchao's Float8 tensorwise recipe) run them as priced.
   *
   * @param engine how the message names the engine ("torchgpipe")
   * @param why what the engine runs instead, after the engine's name
   */
  static void refuseFp8Linears(Plan plan, String engine, String why) {
    if (plan.training().fp8Linears()) {
      throw new BadInputException(
          "plan has training.fp8Linears = true (made with 'pipeplan plan --fp8': the transformer"
              + " blocks' linear GEMMs in FP8 with per-tensor current scaling); "
              + engine
              + " "
              + why
              + ", so the linears would not run in FP8 as priced. Maybe re-plan without --fp8, or"
              + " export to megatron or torchtitan.");
    }
  }

  private static void requireOneStagePerRank(Plan plan, String engine, String kinds) {
    if (plan.virtualStages() != 1) {
      throw new BadInputException(
          engine
              + " runs one stage per rank, but the plan has virtualStages "
              + plan.virtualStages()
              + " ("
              + plan.scheduleKind()
              + "). Maybe re-plan with --schedules "
              + kinds
              + ".");
    }
  }
}
