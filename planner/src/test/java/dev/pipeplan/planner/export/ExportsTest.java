package dev.pipeplan.planner.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanFixtures;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ExportsTest {
  static String golden(String resource) throws IOException {
    try (InputStream in = ExportsTest.class.getResourceAsStream(resource)) {
      assertThat(in).as("golden file " + resource).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @ParameterizedTest
  // torch-script needs a model with full shapes; TorchScriptExportTest holds its goldens.
  // torchgpipe refuses the 1F1B, dp = 2 fixture; torchgpipeWritesAGPipePlan holds its golden.
  @EnumSource(
      value = ExportTarget.class,
      names = {"TORCH_SCRIPT", "TORCHGPIPE"},
      mode = EnumSource.Mode.EXCLUDE)
  void everyTargetMatchesItsGoldenFiles(ExportTarget target) throws IOException {
    List<ExportFile> files = Exports.export(PlanFixtures.twoStagePlan(), target);
    assertThat(files).isNotEmpty();
    for (ExportFile file : files) {
      assertThat(file.content())
          .as(target.id() + "/" + file.fileName())
          .isEqualTo(golden("/golden/export/" + target.id() + "/" + file.fileName()));
    }
  }

  /** {@code base} with its attention kernel set, its other memory modes kept. */
  private static Plan withAttention(Plan base, Attention attention) {
    TrainingSpec t = base.training();
    return PlanFixtures.withTraining(
        base,
        t.withMemoryModes(t.recompute(), attention, t.optimizerSharding(), t.sequenceParallel()));
  }

  @Test
  void megatronRunsTheAttentionKernelThePlanPriced() {
    Plan base = PlanFixtures.twoStagePlan();
    // --use-flash-attn is read nowhere in Megatron-Core: the backend decides
    assertThat(Exports.megatron(withAttention(base, Attention.FLASH)))
        .contains("  --attention-backend auto\n")
        .doesNotContain("--use-flash-attn");
    assertThat(Exports.megatron(withAttention(base, Attention.EAGER)))
        .contains("  --attention-backend unfused\n");
    // FlashAttention-2's kernels: Transformer Engine's backend over the flash-attn package
    assertThat(Exports.megatron(withAttention(base, Attention.FLASH2)))
        .contains("  --attention-backend flash\n");
  }

  @Test
  void megatronGetsTheHeadWidthWhereItIsNotHiddenOverHeads() {
    Plan base = PlanFixtures.twoStagePlan();
    assertThat(Exports.megatron(base)).doesNotContain("--kv-channels").doesNotContain("--add-qkv");
    // Blocks of 4 heads of 32 over a hidden width of 64, with q/k/v biases only (Qwen-style).
    Map<String, Long> wide =
        Map.of("hidden", 64L, "heads", 4L, "headDim", 32L, "ffn", 128L, "bias", 0L, "qkvBias", 1L);
    String args = Exports.megatron(withBlockShapes(base, wide));
    assertThat(args)
        .contains("  --num-layers 2\n  --kv-channels 32\n")
        .contains("  --normalization RMSNorm\n  --disable-bias-linear\n  --add-qkv-bias\n");
    // headDim equal to hidden / heads changes nothing.
    Map<String, Long> same = Map.of("hidden", 64L, "heads", 4L, "headDim", 16L);
    assertThat(Exports.megatron(withBlockShapes(base, same))).isEqualTo(Exports.megatron(base));
  }

  @Test
  void megatronWritesTheArchitectureThePlanPriced() {
    // Llama 3 8B's blocks: GQA 32/8, SwiGLU, RMSNorm, no biases, no dropout, rotary base 500000;
    // Megatron's defaults are LayerNorm, GELU, biases, dropout 0.1 and learned positions
    Plan llama =
        withShapes(
            withBlockShapes(
                PlanFixtures.twoStagePlan(),
                Map.of(
                    "hidden",
                    4096L,
                    "heads",
                    32L,
                    "kvHeads",
                    8L,
                    "ffn",
                    14336L,
                    "gated",
                    1L,
                    "bias",
                    0L,
                    "dropout",
                    0L,
                    "ropeTheta",
                    500_000L)),
            LayerKind.EMBEDDING,
            Map.of("vocab", 128256L, "hidden", 4096L, "positions", 0L));
    assertThat(Exports.megatronModelArgs(llama))
        .isEqualTo(
            "# The plan priced a vocabulary of 128256 tokens; Megatron-LM takes it from its"
                + " tokenizer (--tokenizer-type), padded to a multiple of"
                + " --make-vocab-size-divisible-by x tp.\n"
                + "PIPEPLAN_MODEL_ARGS=(\n"
                + "  --hidden-size 4096\n"
                + "  --ffn-hidden-size 14336\n"
                + "  --num-attention-heads 32\n"
                + "  --group-query-attention\n"
                + "  --num-query-groups 8\n"
                + "  --swiglu\n"
                + "  --normalization RMSNorm\n"
                + "  --disable-bias-linear\n"
                + "  --hidden-dropout 0.0\n"
                + "  --attention-dropout 0.0\n"
                + "  --position-embedding-type rope\n"
                + "  --rotary-base 500000\n"
                + "  --max-position-embeddings 128\n"
                + ")\n");
    // a GPT-2 block (biases, LayerNorm, dropout, learned positions) needs none of those flags
    Plan gpt =
        withShapes(
            withBlockShapes(
                PlanFixtures.twoStagePlan(),
                Map.of("hidden", 64L, "heads", 4L, "ffn", 256L, "bias", 1L, "dropout", 1L)),
            LayerKind.EMBEDDING,
            Map.of("vocab", 50257L, "hidden", 64L, "positions", 1024L));
    assertThat(Exports.megatronModelArgs(gpt))
        .contains("  --num-attention-heads 4\n  --max-position-embeddings 1024\n)")
        .doesNotContain("--swiglu", "RMSNorm", "--disable-bias-linear", "dropout", "rope");
    // blocks without widths leave the model arguments to the user, and say so
    assertThat(Exports.megatronModelArgs(PlanFixtures.twoStagePlan()))
        .startsWith("# Note: the model's blocks state no hidden size");
  }

  /** {@code base} with its blocks' shapes replaced by {@code shape}. */
  private static Plan withBlockShapes(Plan base, Map<String, Long> shape) {
    return withShapes(base, LayerKind.TRANSFORMER_BLOCK, shape);
  }

  /** {@code base} with the shapes of its layers of {@code kind} replaced by {@code shape}. */
  private static Plan withShapes(Plan base, LayerKind kind, Map<String, Long> shape) {
    List<LayerSpec> layers = new ArrayList<>();
    for (LayerSpec l : base.model().layers()) {
      layers.add(
          l.kind() != kind
              ? l
              : new LayerSpec(
                  l.name(),
                  l.kind(),
                  LayerShape.of(l.kind(), shape),
                  l.forwardFlops(),
                  l.backwardInputFlops(),
                  l.backwardWeightFlops(),
                  l.parameterCount(),
                  l.savedActivationBytes(),
                  l.outputBytes(),
                  l.measured(),
                  l.activations()));
    }
    ModelSpec model =
        new ModelSpec(
            base.model().name(), layers, base.model().dtype(), base.model().sequenceLength());
    return PlanFixtures.withModel(base, model);
  }

  @Test
  void megatronLayoutListsVirtualStagesInOrder() throws IOException {
    String args = Exports.megatron(PlanFixtures.interleavedPlan());
    assertThat(args).isEqualTo(golden("/golden/export/megatron-interleaved.sh"));
    assertThat(args).contains("--pipeline-model-parallel-layout \"E|t|t|L\"");
  }

  @Test
  void deepspeedAccumulatesAsPlannedOrSaysWhatItRunsInstead() {
    Plan base = PlanFixtures.twoStagePlan();
    java.util.function.Function<GradientAccumulation, String> zero1 =
        a ->
            Exports.deepspeed(
                PlanFixtures.withTraining(
                    base, withSharding(base.training(), OptimizerSharding.ZERO1, a)));
    // bf16 with ZeRO-1: grad_accum_dtype picks the bf16 optimizer (fp32) or ZeRO's (bf16)
    assertThat(zero1.apply(GradientAccumulation.FP32_CAST_ADD))
        .contains("\"grad_accum_dtype\" : \"fp32\"")
        .doesNotContain("\"gradient_accumulation\"");
    assertThat(zero1.apply(GradientAccumulation.IN_PLACE))
        .contains("\"grad_accum_dtype\" : \"bf16\"")
        .doesNotContain("\"gradient_accumulation\"");
    // nothing DeepSpeed runs adds inside the GEMM: the export says what it runs instead
    assertThat(zero1.apply(GradientAccumulation.FUSED))
        .doesNotContain("grad_accum_dtype")
        .contains("prices gradientAccumulation 'fused'")
        .contains("ZeRO stage 1 accumulates 'in-place'")
        .contains("Re-plan with --grad-accumulation in-place");
  }

  @Test
  void torchtitanTurnsSequenceParallelismOffWhenThePlanDoes() {
    Plan base = PlanFixtures.twoStagePlan();
    TrainingSpec t = base.training();
    Plan tp2 =
        PlanFixtures.with(
            base,
            t.withMemoryModes(t.recompute(), t.attention(), t.optimizerSharding(), false),
            new Parallelism(base.parallelism().pp(), base.parallelism().dp(), 2));
    assertThat(Exports.torchtitan(tp2)).contains("    p.enable_sequence_parallel = False\n");
    assertThat(Exports.torchtitan(base)).doesNotContain("enable_sequence_parallel");
  }

  @Test
  void eachEngineSaysWhenItHandsStagesOnOtherwiseThanPriced() {
    Plan base = PlanFixtures.twoStagePlan();
    TrainingSpec t = base.training();
    TrainingSpec noSequenceParallel =
        t.withMemoryModes(t.recompute(), t.attention(), t.optimizerSharding(), false)
            .withBlockingSends(true);
    Parallelism tp2 = new Parallelism(base.parallelism().pp(), base.parallelism().dp(), 2);
    Plan whole = PlanFixtures.with(base, noSequenceParallel.withWholeHandOffs(true), tp2);
    Plan scattered = PlanFixtures.with(base, noSequenceParallel, tp2);
    String replanScattered = "re-plan with --pp-scatter-gather";
    String replanWhole = "re-plan with --no-pp-scatter-gather";
    // Megatron-Core and torchtitan send whole outputs, DeepSpeed splits them
    assertThat(String.join("\n", Exports.notes(whole, ExportTarget.MEGATRON)))
        .doesNotContain(replanWhole);
    assertThat(Exports.notes(scattered, ExportTarget.MEGATRON))
        .anySatisfy(n -> assertThat(n).contains("1/2 of it").contains(replanWhole));
    assertThat(Exports.megatron(scattered)).contains("# Note: Megatron-LM sends a stage's whole");
    assertThat(Exports.notes(scattered, ExportTarget.TORCHTITAN))
        .anySatisfy(n -> assertThat(n).startsWith("torchtitan sends").contains(replanWhole));
    assertThat(Exports.torchtitan(scattered)).contains("# Note: torchtitan sends");
    assertThat(Exports.notes(whole, ExportTarget.DEEPSPEED))
        .anySatisfy(n -> assertThat(n).contains("pipe_partitioned").contains(replanScattered));
    assertThat(Exports.deepspeed(whole)).contains("\"pipeline_sends\"");
    assertThat(Exports.deepspeed(scattered)).doesNotContain("pipeline_sends");
    // with sequence parallelism each rank holds only its share: nothing to say
    Plan sequenceParallel =
        PlanFixtures.with(
            base,
            t.withMemoryModes(t.recompute(), t.attention(), t.optimizerSharding(), true)
                .withBlockingSends(true),
            tp2);
    assertThat(String.join("\n", Exports.notes(sequenceParallel, ExportTarget.MEGATRON)))
        .doesNotContain("scatter-gather");
  }

  @Test
  void theNotesWrittenIntoTheFilesAreGivenForTheTerminalToo() {
    Plan base = PlanFixtures.twoStagePlan();
    Plan zero1 =
        PlanFixtures.withTraining(
            base,
            withSharding(base.training(), OptimizerSharding.ZERO1, GradientAccumulation.FUSED));
    // the accumulation, then the communication DeepSpeed runs blocking
    assertThat(Exports.notes(zero1, ExportTarget.DEEPSPEED)).hasSize(2);
    assertThat(Exports.notes(zero1, ExportTarget.DEEPSPEED).get(1))
        .contains("blocks on its sends and reduces the gradients after the backward");
    assertThat(Exports.notes(zero1, ExportTarget.DEEPSPEED))
        .first()
        .asString()
        .contains("accumulates 'in-place'")
        .isEqualTo(
            Exports.deepspeed(zero1)
                .lines()
                .filter(l -> l.contains("\"gradient_accumulation\""))
                .findFirst()
                .orElseThrow()
                .replaceAll("^ *\"gradient_accumulation\" : \"(.*)\",?$", "$1"));
    assertThat(Exports.notes(zero1, ExportTarget.TORCHTITAN))
        .singleElement()
        .asString()
        .startsWith("torchtitan has no ZeRO-1")
        .doesNotContain("\n");
    // Megatron's plain 1F1B blocks on its sends: said unless the plan priced them blocking
    assertThat(Exports.notes(base, ExportTarget.MEGATRON))
        .singleElement()
        .asString()
        .contains("without pipeline-send overlap");
    assertThat(
            Exports.notes(
                PlanFixtures.withTraining(base, base.training().withBlockingSends(true)),
                ExportTarget.MEGATRON))
        .isEmpty();
    // interleaved with blocking sends: the flag, and Megatron's pp > 2
    Plan interleaved = PlanFixtures.interleavedPlan();
    Plan blocking =
        PlanFixtures.withTraining(interleaved, interleaved.training().withBlockingSends(true));
    assertThatThrownBy(() -> Exports.megatron(blocking))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("allows only with pp > 2");
  }

  /** {@code t} in another dtype, every mode kept. */
  private static TrainingSpec inDtype(TrainingSpec t, DType dtype) {
    return new TrainingSpec(
        t.globalBatch(),
        t.sequenceLength(),
        dtype,
        t.optimizer(),
        t.recompute(),
        t.attention(),
        t.optimizerSharding(),
        t.sequenceParallel(),
        t.tensorParallelOverlap(),
        t.blockingSends(),
        t.gradientSyncAfterBackward(),
        t.gradientAllReduce(),
        t.gradientAccumulation(),
        t.crossEntropy());
  }

  @Test
  void megatronAccumulatesTheGradientsAsPlanned() {
    Plan base = PlanFixtures.twoStagePlan();
    TrainingSpec bf16 = base.training();
    java.util.function.Function<TrainingSpec, String> args =
        t -> Exports.megatron(PlanFixtures.withTraining(base, t));
    // bf16: Megatron accumulates in fp32, fused in the GEMM, by default
    assertThat(args.apply(bf16))
        .doesNotContain(
            "--no-gradient-accumulation-fusion",
            "--grad-reduce-in-bf16",
            "--accumulate-allreduce-grads-in-fp32");
    assertThat(args.apply(bf16.withGradientAccumulation(GradientAccumulation.FP32_ADD)))
        .contains("  --no-gradient-accumulation-fusion\n")
        .doesNotContain("--grad-reduce-in-bf16");
    assertThat(args.apply(bf16.withGradientAccumulation(GradientAccumulation.IN_PLACE)))
        .contains("  --no-gradient-accumulation-fusion\n  --grad-reduce-in-bf16\n");
    // fp16: Megatron keeps fp16 gradients unless told to accumulate in fp32
    TrainingSpec fp16 = inDtype(bf16, DType.FP16);
    assertThat(args.apply(fp16)).contains("  --accumulate-allreduce-grads-in-fp32\n");
    assertThat(args.apply(fp16.withGradientAccumulation(GradientAccumulation.IN_PLACE)))
        .contains("  --no-gradient-accumulation-fusion\n")
        .doesNotContain("--accumulate-allreduce-grads-in-fp32", "--grad-reduce-in-bf16");
    // DeepSpeed's cast-then-add has no Megatron flag
    assertThatThrownBy(
            () -> args.apply(bf16.withGradientAccumulation(GradientAccumulation.FP32_CAST_ADD)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'fp32-cast-add'")
        .hasMessageContaining("Maybe re-plan with --grad-accumulation fused");
  }

  @Test
  void megatronRefusesAnAllReduceBesideItsDistributedOptimizer() {
    Plan base = PlanFixtures.twoStagePlan();
    assertThat(base.parallelism().dp()).isEqualTo(2);
    TrainingSpec zero1 =
        base.training()
            .withMemoryModes(
                base.training().recompute(),
                base.training().attention(),
                OptimizerSharding.ZERO1,
                base.training().sequenceParallel());
    assertThat(Exports.megatron(PlanFixtures.withTraining(base, zero1)))
        .contains("  --use-distributed-optimizer\n");
    assertThatThrownBy(
            () ->
                Exports.megatron(
                    PlanFixtures.withTraining(base, zero1.withGradientAllReduce(true))))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("dp = 2")
        .hasMessageContaining("reduce-scatters")
        .hasMessageContaining("Maybe re-plan without --dp-all-reduce")
        .hasMessageContaining("or export this plan to DeepSpeed");
    // DeepSpeed's pipeline engine takes ZeRO-1 only: not suggested for ZeRO-2
    TrainingSpec zero2 =
        zero1.withMemoryModes(
            zero1.recompute(),
            zero1.attention(),
            OptimizerSharding.ZERO2,
            zero1.sequenceParallel());
    assertThatThrownBy(
            () ->
                Exports.megatron(
                    PlanFixtures.withTraining(base, zero2.withGradientAllReduce(true))))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("reduce-scatters")
        .hasMessageNotContaining("DeepSpeed.");
    // at dp = 1 nothing is reduced: the same plan exports
    Plan single =
        PlanFixtures.with(base, zero1.withGradientAllReduce(true), Parallelism.of(2, 1, 1));
    assertThat(Exports.megatron(single)).contains("--use-distributed-optimizer");
  }

  @Test
  void megatronRefusesTheTransformerEngineCrossEntropyItNoLongerAccepts() {
    Plan base = PlanFixtures.interleavedPlan();
    assertThat(Exports.megatron(base)).doesNotContain("--cross-entropy");
    Plan fused =
        PlanFixtures.withTraining(base, base.training().withCrossEntropy(CrossEntropy.FUSED));
    // Megatron-LM's validate_args asserts against --cross-entropy-fusion-impl te, and its native
    // fusion is what pipeplan prices as unfused: neither may be written for this plan.
    assertThatThrownBy(() -> Exports.export(fused, ExportTarget.MEGATRON))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("crossEntropy 'fused'")
        .hasMessageContaining("Megatron-LM (" + Exports.MEGATRON_COMMIT)
        .hasMessageContaining("Maybe re-plan with --cross-entropy unfused");
  }

  @Test
  void megatronTrainsInThePlansDtype() {
    Plan base = PlanFixtures.twoStagePlan();
    assertThat(Exports.megatron(base)).contains("  --bf16\n").doesNotContain("--fp16");
    Plan fp16 =
        PlanFixtures.withTraining(
            base, new TrainingSpec(16, 128, DType.FP16, Optimizer.adamMixedPrecision(), false));
    assertThat(Exports.megatron(fp16)).contains("  --fp16\n").doesNotContain("--bf16");
    Plan fp32 =
        PlanFixtures.withTraining(
            base, new TrainingSpec(16, 128, DType.FP32, Optimizer.adamMixedPrecision(), false));
    assertThat(Exports.megatron(fp32)).doesNotContain("--bf16", "--fp16");
    Plan fp8 =
        PlanFixtures.withTraining(
            base, new TrainingSpec(16, 128, DType.FP8, Optimizer.adamMixedPrecision(), false));
    assertThatThrownBy(() -> Exports.megatron(fp8))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("the plan trains in fp8");
  }

  @Test
  void megatronOverlapsTheDataParallelTrafficAsThePlanPricedIt() {
    Plan base = PlanFixtures.twoStagePlan();
    TrainingSpec t = base.training();
    // dp = 2, no sharding, overlap on (the default): the gradient all-reduce under the backward
    assertThat(Exports.megatron(base))
        .contains("  --overlap-grad-reduce\n")
        .doesNotContain("--overlap-param-gather");
    // the distributed optimizer: its weight all-gather overlapped too
    TrainingSpec zero1 =
        t.withMemoryModes(t.recompute(), t.attention(), OptimizerSharding.ZERO1, false);
    assertThat(Exports.megatron(PlanFixtures.withTraining(base, zero1)))
        .contains(
            "  --use-distributed-optimizer\n  --overlap-grad-reduce\n  --overlap-param-gather\n");
    // --no-dp-comm-overlap: priced after the backward, so neither flag
    assertThat(
            Exports.megatron(
                PlanFixtures.withTraining(base, zero1.withGradientSyncAfterBackward(true))))
        .contains("  --use-distributed-optimizer\n")
        .doesNotContain("--overlap-grad-reduce", "--overlap-param-gather");
    // dp = 1: no data-parallel traffic to overlap
    Plan dp1 = copy(base, "1f1b", 1, List.of(0, 1), Parallelism.of(2, 1, 1));
    assertThat(Exports.megatron(dp1)).doesNotContain("--overlap-grad-reduce");
  }

  @Test
  void megatronSaysItsDistributedOptimizerKeepsTheGradientsWhole() {
    Plan base = PlanFixtures.twoStagePlan();
    TrainingSpec t = base.training();
    // dp = 2, ZeRO-2: priced with the gradients sharded, which --use-distributed-optimizer is not
    Plan zero2 =
        PlanFixtures.withTraining(
            base, t.withMemoryModes(t.recompute(), t.attention(), OptimizerSharding.ZERO2, false));
    String note = "keeps every rank's gradient buffer whole";
    assertThat(Exports.megatron(zero2))
        .contains("  --use-distributed-optimizer\n")
        .contains("# Note: the plan shards the gradients over dp = 2 (optimizerSharding zero2)")
        .contains(note);
    assertThat(Exports.notes(zero2, ExportTarget.MEGATRON)).anyMatch(n -> n.contains(note));
    // ZeRO-1 is what the distributed optimizer runs: no note
    Plan zero1 =
        PlanFixtures.withTraining(
            base, t.withMemoryModes(t.recompute(), t.attention(), OptimizerSharding.ZERO1, false));
    assertThat(Exports.megatron(zero1)).doesNotContain(note);
    assertThat(Exports.notes(zero1, ExportTarget.MEGATRON)).noneMatch(n -> n.contains(note));
  }

  @Test
  void megatronAndDeepSpeedPrintThatTheyRunTheirOwn1F1B() {
    // A GPipe plan exports (Megatron-LM and DeepSpeed run 1F1B over the same stages), and the
    // command line prints what the files say, not only the file's comment.
    Plan gpipe =
        copy(PlanFixtures.twoStagePlan(), "gpipe", 1, List.of(0, 1), Parallelism.of(2, 1, 1));
    assertThat(Exports.megatron(gpipe))
        .contains("# pipeplan planned 'gpipe'; Megatron-LM runs 1F1B with this layout");
    assertThat(Exports.notes(gpipe, ExportTarget.MEGATRON))
        .anyMatch(n -> n.startsWith("pipeplan planned 'gpipe'; Megatron-LM runs 1F1B"));
    assertThat(Exports.notes(gpipe, ExportTarget.DEEPSPEED))
        .anyMatch(n -> n.contains("pipeplan planned 'gpipe'") && n.contains("--schedules 1f1b"));
    Plan oneFOneB = PlanFixtures.twoStagePlan();
    assertThat(Exports.notes(oneFOneB, ExportTarget.MEGATRON))
        .noneMatch(n -> n.contains("pipeplan planned"));
    assertThat(Exports.notes(oneFOneB, ExportTarget.DEEPSPEED))
        .noneMatch(n -> n.contains("pipeplan planned"));
  }

  @Test
  void megatronRefusesTensorParallelOverlapWithoutSequenceParallelism() {
    Plan base =
        copy(PlanFixtures.twoStagePlan(), "1f1b", 1, List.of(0, 1), Parallelism.of(2, 1, 2));
    TrainingSpec t = base.training();
    TrainingSpec overlapOnly =
        t.withMemoryModes(t.recompute(), t.attention(), t.optimizerSharding(), false)
            .withTensorParallelOverlap(true);
    assertThatThrownBy(() -> Exports.megatron(PlanFixtures.withTraining(base, overlapOnly)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("tensorParallelOverlap without sequenceParallel at tp = 2")
        .hasMessageContaining("only with --sequence-parallel");
    TrainingSpec both =
        t.withMemoryModes(t.recompute(), t.attention(), t.optimizerSharding(), true)
            .withTensorParallelOverlap(true);
    assertThat(Exports.megatron(PlanFixtures.withTraining(base, both)))
        .contains("  --sequence-parallel\n", "  --tp-comm-overlap\n");
  }

  @Test
  void megatronRefusesFsdp2WithPipelineParallelism() {
    Plan base = PlanFixtures.twoStagePlan();
    Plan zero3 =
        PlanFixtures.withTraining(
            base,
            withSharding(base.training(), OptimizerSharding.ZERO3, GradientAccumulation.IN_PLACE));
    // Megatron-LM's validate_args: '--use-torch-fsdp2 is not supported with pipeline parallelism'
    assertThatThrownBy(() -> Exports.megatron(zero3))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "--use-torch-fsdp2 with pipeline parallelism, but the plan has pp = 2")
        .hasMessageContaining("Maybe re-plan with --zero 1");
  }

  @Test
  void megatronWritesWhatFsdp2NeedsAtOnePipelineStage() {
    TrainingSpec zero3 =
        withSharding(
            PlanFixtures.twoStagePlan().training(),
            OptimizerSharding.ZERO3,
            GradientAccumulation.IN_PLACE);
    String untied = Exports.megatron(onePipelineStage(zero3, Optional.of(false)));
    assertThat(untied)
        .contains(
            "  --use-torch-fsdp2\n"
                + "  --no-gradient-accumulation-fusion\n"
                + "  --untie-embeddings-and-output-weights\n"
                + "  --ckpt-format torch_dist\n")
        .contains("CUDA_DEVICE_MAX_CONNECTIONS unset or above 1")
        .doesNotContain("--use-distributed-optimizer", "# Note: the model does not say");
    // a head whose shape does not say whether it is tied: written, with a note
    assertThat(Exports.megatron(onePipelineStage(zero3, Optional.empty())))
        .contains("  --untie-embeddings-and-output-weights\n", "# Note: the model does not say");
  }

  @Test
  void megatronRefusesFsdp2WhereItWouldTrainAnotherModelOrMode() {
    TrainingSpec inPlace =
        withSharding(
            PlanFixtures.twoStagePlan().training(),
            OptimizerSharding.ZERO3,
            GradientAccumulation.IN_PLACE);
    assertThatThrownBy(() -> Exports.megatron(onePipelineStage(inPlace, Optional.of(true))))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--untie-embeddings-and-output-weights")
        .hasMessageContaining("ties it to the embedding");
    TrainingSpec fused = withSharding(inPlace, OptimizerSharding.ZERO3, GradientAccumulation.FUSED);
    assertThatThrownBy(() -> Exports.megatron(onePipelineStage(fused, Optional.of(false))))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--no-gradient-accumulation-fusion")
        .hasMessageContaining("gradientAccumulation 'fused'")
        .hasMessageContaining("Maybe re-plan with --grad-accumulation in-place");
    TrainingSpec fp16 =
        withSharding(
            new TrainingSpec(16, 128, DType.FP16, Optimizer.adamMixedPrecision(), false),
            OptimizerSharding.ZERO3,
            GradientAccumulation.IN_PLACE);
    assertThatThrownBy(() -> Exports.megatron(onePipelineStage(fp16, Optional.of(false))))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--use-torch-fsdp2 with fp16");
  }

  private static TrainingSpec withSharding(
      TrainingSpec t, OptimizerSharding sharding, GradientAccumulation accumulation) {
    return t.withMemoryModes(t.recompute(), t.attention(), sharding, t.sequenceParallel())
        .withGradientAccumulation(accumulation);
  }

  /**
   * The four-layer model on one pipeline stage, dp = 4, trained as {@code training}, its head tied,
   * untied or silent about it (empty). Not a priced plan: for the exports' own checks only.
   */
  private static Plan onePipelineStage(TrainingSpec training, Optional<Boolean> tied) {
    Plan base = PlanFixtures.twoStagePlan();
    List<LayerSpec> layers = new ArrayList<>(base.model().layers());
    LayerSpec head = layers.get(3);
    LayerShape shape =
        tied.isPresent()
            ? LayerShape.LmHead.of(1000, 64, 128, tied.get())
            : LayerShape.of(LayerKind.LM_HEAD, Map.of("hidden", 64L));
    layers.set(
        3,
        new LayerSpec(
            head.name(),
            head.kind(),
            shape,
            head.forwardFlops(),
            head.backwardInputFlops(),
            head.backwardWeightFlops(),
            head.parameterCount(),
            head.savedActivationBytes(),
            head.outputBytes(),
            head.measured(),
            head.activations()));
    ModelSpec model =
        new ModelSpec(
            base.model().name(), layers, base.model().dtype(), base.model().sequenceLength());
    return new Plan(
        Plan.FORMAT_VERSION,
        model,
        training,
        base.cluster(),
        Parallelism.of(1, 4, 1),
        base.microBatchSize(),
        2,
        ScheduleKind.parse("1f1b"),
        1,
        0,
        0,
        dev.pipeplan.simulator.schedule.Partition.of(4),
        List.of(0),
        List.of(List.of(0, 1, 2, 3)),
        List.of(base.stageCosts().get(0)),
        base.links(),
        base.predicted(),
        base.reason(),
        base.runnersUp(),
        base.pareto(),
        base.search(),
        Provenance.unrecorded());
  }

  @Test
  void megatronRejectsVShapedPlacements() {
    Plan base = PlanFixtures.twoStagePlan();
    Plan v =
        new Plan(
            Plan.FORMAT_VERSION,
            base.model(),
            base.training(),
            base.cluster(),
            base.parallelism(),
            base.microBatchSize(),
            base.microBatchCount(),
            ScheduleKind.parse("zb-v"),
            2,
            0,
            0,
            dev.pipeplan.simulator.schedule.Partition.of(1, 1, 1, 1),
            List.of(0, 1, 1, 0),
            base.placement(),
            PlanFixtures.interleavedPlan().stageCosts(),
            base.links(),
            base.predicted(),
            base.reason(),
            base.runnersUp(),
            base.pareto(),
            base.search(),
            Provenance.unrecorded());
    assertThatThrownBy(() -> Exports.export(v, ExportTarget.MEGATRON))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("V")
        .hasMessageContaining("Maybe re-plan with --schedules 1f1b,interleaved");
  }

  @Test
  void oneStagePerRankEnginesRejectVirtualStages() {
    Plan plan = PlanFixtures.interleavedPlan();
    for (ExportTarget target : List.of(ExportTarget.DEEPSPEED, ExportTarget.TORCHGPIPE)) {
      assertThatThrownBy(() -> Exports.export(plan, target))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("runs one stage per rank, but the plan has virtualStages 2")
          .hasMessageContaining(
              target == ExportTarget.TORCHGPIPE ? "--schedules gpipe." : "--schedules 1f1b.");
    }
  }

  @Test
  void torchtitanNamesEveryModuleOnce() {
    String py = Exports.torchtitan(PlanFixtures.interleavedPlan());
    assertThat(py)
        .contains(
            "    p.module_fqns_per_model_part = [\n"
                + "        [\"tok_embeddings\"],\n"
                + "        [\"layers.0\"],\n"
                + "        [\"layers.1\"],\n"
                + "        [\"norm\", \"lm_head\"],\n"
                + "    ]\n");
    assertThat(py).contains("    p.pipeline_parallel_schedule_csv = SCHEDULE_CSV\n");
  }

  /** The names torch/distributed/pipelining/schedules.py's get_schedule_class accepts. */
  private static final List<String> GET_SCHEDULE_CLASS_NAMES =
      List.of(
          "1F1B",
          "Interleaved1F1B",
          "GPipe",
          "LoopedBFS",
          "InterleavedZeroBubble",
          "PipelineScheduleSingle",
          "PipelineScheduleMulti",
          "ZBVZeroBubble",
          "DualPipeV");

  @Test
  void torchtitanNamesTheScheduleClassThatPlacesStagesAsThePlanDoes() {
    assertThat(Exports.torchtitanScheduleName(PlanFixtures.twoStagePlan()))
        .isEqualTo("PipelineScheduleSingle");
    assertThat(Exports.torchtitanScheduleName(PlanFixtures.interleavedPlan()))
        .isEqualTo("PipelineScheduleMulti");
    assertThat(Exports.torchtitanScheduleName(vShaped("zb-v"))).isEqualTo("ZBVZeroBubble");
    assertThat(Exports.torchtitanScheduleName(vShaped("v-min"))).isEqualTo("ZBVZeroBubble");
    assertThat(Exports.torchtitanScheduleName(vShaped("dualpipev"))).isEqualTo("DualPipeV");
    for (Plan plan :
        List.of(
            PlanFixtures.twoStagePlan(),
            PlanFixtures.interleavedPlan(),
            vShaped("zb-v"),
            vShaped("dualpipev"))) {
      String py = Exports.torchtitan(plan);
      String name = Exports.torchtitanScheduleName(plan);
      assertThat(GET_SCHEDULE_CLASS_NAMES).contains(name);
      assertThat(py)
          .contains("    p.pipeline_parallel_schedule = \"" + name + "\"\n")
          .doesNotContain("= \"_PipelineScheduleRuntime\"");
    }
  }

  @Test
  void torchtitanSetsTheCurrentConfigFieldsNotTheRemovedOnes() {
    String py = Exports.torchtitan(PlanFixtures.twoStagePlan());
    assertThat(py)
        .contains(
            "    p.num_pp_microbatches = 4\n",
            "    t.max_context_length = 128\n",
            "    t.num_tokens_per_microbatch_per_dp_rank = 256\n",
            "    t.num_tokens_per_train_step = 2048\n")
        .doesNotContain(
            "pipeline_parallel_microbatch_size", "local_batch_size", "seq_len =", "[parallelism]");
  }

  @Test
  void torchtitanComputesInThePlansPrecisionAndRefusesWhatItCannot() {
    Plan base = PlanFixtures.twoStagePlan();
    TrainingSpec t = base.training();
    assertThat(t.dtype()).isEqualTo(DType.BF16);
    assertThat(Exports.torchtitan(base))
        .contains(
            "    t.dtype = \"float32\"\n"
                + "    t.mixed_precision_param = \"bfloat16\"\n"
                + "    t.mixed_precision_reduce = \"float32\"\n")
        .doesNotContain("# Note: torchtitan reduces");
    java.util.function.Function<DType, Plan> in =
        dtype -> PlanFixtures.withTraining(base, inDtype(t, dtype));
    assertThat(Exports.torchtitan(in.apply(DType.FP32)))
        .contains("    t.mixed_precision_param = \"float32\"\n")
        .doesNotContain("bfloat16", "mixed_precision_reduce");
    // fp16: torchtitan has none; bf16 has the same sizes and rate, said in a note
    assertThat(Exports.torchtitan(in.apply(DType.FP16)))
        .contains("    t.mixed_precision_param = \"bfloat16\"\n", "# Note: torchtitan has no fp16");
    assertThat(Exports.notes(in.apply(DType.FP16), ExportTarget.TORCHTITAN))
        .anyMatch(n -> n.startsWith("torchtitan has no fp16 compute"));
    assertThatThrownBy(() -> Exports.torchtitan(in.apply(DType.FP8)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("the plan trains in fp8")
        .hasMessageContaining("Maybe re-plan the model in bf16");
    // 16-bit gradients priced, fp32 reductions run: said in the file and on the command line
    Plan inPlace =
        PlanFixtures.withTraining(base, t.withGradientAccumulation(GradientAccumulation.IN_PLACE));
    assertThat(Exports.torchtitan(inPlace)).contains("# Note: torchtitan reduces the gradients");
    assertThat(Exports.notes(inPlace, ExportTarget.TORCHTITAN))
        .anyMatch(n -> n.startsWith("torchtitan reduces the gradients in float32"));
  }

  @Test
  void torchtitanShardsAndCheckpointsAsThePlanPriced() {
    Plan base = PlanFixtures.twoStagePlan();
    TrainingSpec t = base.training();
    // ZeRO-3 with full recomputation: FSDP over dp = 2, regathered for the backward, FullAC
    String zero3 =
        Exports.torchtitan(
            PlanFixtures.withTraining(
                base,
                t.withMemoryModes(Recompute.FULL, t.attention(), OptimizerSharding.ZERO3, false)));
    assertThat(zero3)
        .contains(
            "    p.data_parallel_replicate_degree = 1\n"
                + "    p.data_parallel_shard_degree = 2\n"
                + "    p.fsdp_reshard_after_forward = \"always\"\n",
            "from torchtitan.distributed.activation_checkpoint import FullAC\n",
            "    config.activation_checkpoint = FullAC.Config()\n")
        .doesNotContain("# Note:");
    // ZeRO-2: FSDP keeping the weights from the forward to the backward
    String zero2 =
        Exports.torchtitan(
            PlanFixtures.withTraining(
                base,
                t.withMemoryModes(t.recompute(), t.attention(), OptimizerSharding.ZERO2, false)));
    assertThat(zero2)
        .contains(
            "    p.data_parallel_shard_degree = 2\n    p.fsdp_reshard_after_forward = \"never\"\n")
        .doesNotContain("# Note:");
    // ZeRO-1 has no torchtitan equivalent: the nearest, with a note; selective likewise
    String zero1 =
        Exports.torchtitan(
            PlanFixtures.withTraining(
                base,
                t.withMemoryModes(
                    Recompute.SELECTIVE, t.attention(), OptimizerSharding.ZERO1, false)));
    assertThat(zero1)
        .contains(
            "# Note: torchtitan has no ZeRO-1",
            "    p.data_parallel_shard_degree = 2\n    p.fsdp_reshard_after_forward = \"never\"\n",
            "# Note: torchtitan's SelectiveAC is a per-op policy",
            "    config.activation_checkpoint = SelectiveAC.Config()\n");
    // no sharding, no recomputation: DDP, and torchtitan's default SelectiveAC turned off
    assertThat(Exports.torchtitan(base))
        .contains(
            "    p.data_parallel_replicate_degree = 2\n    p.data_parallel_shard_degree = 1\n",
            "    config.activation_checkpoint = None\n")
        .doesNotContain("fsdp_reshard_after_forward", "import FullAC", "import SelectiveAC");
  }

  @Test
  void torchgpipeWritesAGPipePlan() throws IOException {
    Plan gpipe =
        copy(PlanFixtures.twoStagePlan(), "gpipe", 1, List.of(0, 1), Parallelism.of(2, 1, 1));
    List<ExportFile> files = Exports.export(gpipe, ExportTarget.TORCHGPIPE);
    assertThat(files).extracting(ExportFile::fileName).containsExactly("torchgpipe.json");
    assertThat(files.get(0).content())
        .isEqualTo(golden("/golden/export/torchgpipe/torchgpipe.json"));
  }

  @Test
  void torchgpipeRefusesDataAndTensorParallelism() {
    Plan dp2 =
        copy(PlanFixtures.twoStagePlan(), "gpipe", 1, List.of(0, 1), Parallelism.of(2, 2, 1));
    assertThatThrownBy(() -> Exports.export(dp2, ExportTarget.TORCHGPIPE))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("plan has dp = 2")
        .hasMessageContaining("needs tp = 1 and dp = 1")
        .hasMessageContaining("Maybe re-plan with --tp 1 and --pp 4");
    Plan tp2 =
        copy(PlanFixtures.twoStagePlan(), "gpipe", 1, List.of(0, 1), Parallelism.of(2, 1, 2));
    assertThatThrownBy(() -> Exports.export(tp2, ExportTarget.TORCHGPIPE))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("plan has tp = 2");
  }

  @Test
  void torchgpipeRefusesAnotherScheduleAndSaysWhatGPipeNeeds() {
    Plan oneFOneB =
        copy(PlanFixtures.twoStagePlan(), "1f1b", 1, List.of(0, 1), Parallelism.of(2, 1, 1));
    assertThatThrownBy(() -> Exports.export(oneFOneB, ExportTarget.TORCHGPIPE))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("plan's schedule is '1f1b'; torchgpipe runs GPipe only")
        .hasMessageContaining("all 8 micro-batches")
        .hasMessageContaining("limit 1.00 GiB")
        .hasMessageContaining("Maybe re-plan with --schedules gpipe.");
  }

  @Test
  void deepspeedGivesAPublicApiRecipeAndNamesItsOwnSchedule() {
    String json = Exports.deepspeed(PlanFixtures.twoStagePlan());
    assertThat(json)
        .contains("\"partition_method\" : \"uniform\"")
        .contains("partition_method='uniform'")
        .contains("runs its own synchronous 1F1B schedule")
        .doesNotContain("_partition_layers");
    String gpipe =
        Exports.deepspeed(
            copy(PlanFixtures.twoStagePlan(), "gpipe", 1, List.of(0, 1), Parallelism.of(2, 2, 1)));
    assertThat(gpipe).contains("pipeplan planned 'gpipe'", "--schedules 1f1b");
  }

  @Test
  void deepspeedTrainsInThePlansDtypeAndCheckpointsAsPriced() throws IOException {
    Plan base = PlanFixtures.twoStagePlan();
    // bf16 plan: DeepSpeed trains fp32 without the section
    JsonNode bf16 = Json.json().readTree(Exports.deepspeed(base));
    assertThat(bf16.at("/ds_config/bf16/enabled").asBoolean()).isTrue();
    assertThat(bf16.at("/ds_config/fp16").isMissingNode()).isTrue();
    assertThat(bf16.at("/ds_config/activation_checkpointing").isMissingNode()).isTrue();
    assertThat(bf16.has("activation_checkpoint")).isFalse();
    TrainingSpec fp16Full =
        new TrainingSpec(16, 128, DType.FP16, Optimizer.adamMixedPrecision(), true);
    JsonNode fp16 =
        Json.json().readTree(Exports.deepspeed(PlanFixtures.withTraining(base, fp16Full)));
    assertThat(fp16.at("/ds_config/fp16/enabled").asBoolean()).isTrue();
    assertThat(fp16.at("/ds_config/bf16").isMissingNode()).isTrue();
    // full recomputation: deepspeed.checkpointing's plain settings, per layer inside each stage
    assertThat(fp16.at("/ds_config/activation_checkpointing/partition_activations").isBoolean())
        .isTrue();
    assertThat(fp16.at("/pipeline_module/activation_checkpoint_interval").asInt()).isZero();
    assertThat(fp16.get("activation_checkpoint").asText())
        .contains("deepspeed.checkpointing.checkpoint(block, x)", "would checkpoint whole stages");
    TrainingSpec fp32 =
        new TrainingSpec(16, 128, DType.FP32, Optimizer.adamMixedPrecision(), false);
    JsonNode fp32Config =
        Json.json().readTree(Exports.deepspeed(PlanFixtures.withTraining(base, fp32)));
    assertThat(fp32Config.at("/ds_config/bf16").isMissingNode()).isTrue();
    assertThat(fp32Config.at("/ds_config/fp16").isMissingNode()).isTrue();
    TrainingSpec t = base.training();
    TrainingSpec selective =
        t.withMemoryModes(
            Recompute.SELECTIVE, t.attention(), t.optimizerSharding(), t.sequenceParallel());
    assertThat(Exports.deepspeed(PlanFixtures.withTraining(base, selective)))
        .contains("has no such mode", "memory prediction does not hold");
  }

  @ParameterizedTest
  @EnumSource(ExportTarget.class)
  void everyTargetRefusesAStageMapThatContradictsTheSchedule(ExportTarget target) {
    // hand-edited: 1F1B puts stage s on device s, this plan swaps them
    Plan edited =
        copy(PlanFixtures.twoStagePlan(), "1f1b", 1, List.of(1, 0), Parallelism.of(2, 2, 1));
    assertThatThrownBy(() -> Exports.export(edited, target))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("stageToDevice is [1, 0], but the '1f1b' schedule")
        .hasMessageContaining("places stages [0, 1]");
  }

  private static Plan vShaped(String kind) {
    Plan base = PlanFixtures.interleavedPlan();
    return copy(base, kind, 2, List.of(0, 1, 1, 0), base.parallelism());
  }

  /** {@code base} with another kind, v, stage map and parallelism; m keeps b * m * dp. */
  private static Plan copy(
      Plan base, String kind, int v, List<Integer> stageToDevice, Parallelism par) {
    int m = base.training().globalBatch() / (base.microBatchSize() * par.dp());
    List<List<Integer>> placement = new ArrayList<>();
    for (int d = 0; d < par.pp(); d++) {
      List<Integer> devices = new ArrayList<>();
      for (int k = 0; k < par.dp() * par.tp(); k++) {
        devices.add(d * par.dp() * par.tp() + k);
      }
      placement.add(devices);
    }
    return new Plan(
        Plan.FORMAT_VERSION,
        base.model(),
        base.training(),
        base.cluster(),
        par,
        base.microBatchSize(),
        m,
        ScheduleKind.parse(kind),
        v,
        0,
        0,
        base.partition(),
        stageToDevice,
        placement,
        base.stageCosts(),
        base.links(),
        base.predicted(),
        base.reason(),
        base.runnersUp(),
        base.pareto(),
        base.search(),
        Provenance.unrecorded());
  }

  @Test
  void rejectsAnUnknownTarget() {
    assertThatThrownBy(() -> ExportTarget.parse("jax"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("pytorch-csv, torchtitan, megatron, deepspeed, torchgpipe");
  }
}
