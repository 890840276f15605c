package dev.pipeplan.planner.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.TransformerLayers;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanFixtures;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What each export does with a plan whose blocks' linear GEMMs run in FP8 ({@code --fp8}). */
class Fp8ExportsTest {
  /**
   * {@code model} in bf16 on four H100s, 1F1B over pp = 2 at tp as given, one sequence per
   * micro-batch, ZeRO-1, FP8 linears or not.
   */
  private static Plan plan(ModelSpec model, int seq, int tp, int globalBatch, boolean fp8) {
    TrainingSpec t =
        TrainingSpec.of(globalBatch, seq, DType.BF16)
            .withMemoryModes(Recompute.NONE, Attention.FLASH, OptimizerSharding.ZERO1, tp > 1)
            .withFp8Linears(fp8);
    return PlanBuilder.fromSearch(
        Planner.search(
            model,
            t,
            Clusters.load("h100:1x4"),
            SearchOptions.defaults()
                .withPp(2)
                .withTp(tp)
                .withKinds(List.of(ScheduleKind.ONE_F_ONE_B))
                .withMicroBatchSize(1),
            ProgressListener.none()));
  }

  /** gpt-tiny at s = 32, pp = 2, dp = 2, m = 4 micro-batches of one sequence. */
  private static Plan gptTiny(boolean fp8) {
    return plan(ModelLoader.load("gpt-tiny", 32), 32, 1, 8, fp8);
  }

  @Test
  void theFixtureRunsFourMicroBatchesWithFp8Linears() {
    Plan plan = gptTiny(true);
    assertThat(plan.training().fp8Linears()).isTrue();
    assertThat(plan.parallelism().dp()).isEqualTo(2);
    assertThat(plan.microBatchCount()).isEqualTo(4);
  }

  @Test
  void megatronAddsTheHybridFormatWithPerTensorCurrentScaling() {
    String args = Exports.megatron(gptTiny(true));
    // e4m3 forward, e5m2 gradients; tensorwise is Float8CurrentScaling, the default is delayed
    assertThat(args)
        .contains("  --bf16\n  --fp8-format hybrid\n  --fp8-recipe tensorwise\n")
        .contains("# FP8 linears: --fp8-format hybrid (E4M3 for the inputs and weights, E5M2")
        .contains("Megatron's default recipe is delayed")
        .contains("the output layer, Megatron's own ColumnParallelLinear")
        .doesNotContain("--fp8-param-gather", "--first-last-layers-bf16 \n");
    assertThat(Exports.megatron(gptTiny(false))).doesNotContain("fp8", "FP8");
  }

  @Test
  void megatronSaysItCastsTheWeightsOnceAnIterationAndGathersInFp8() {
    Plan plan = gptTiny(true);
    String args = Exports.megatron(plan);
    assertThat(args)
        .contains(
            "# Note: with FP8 linears Megatron-LM (Transformer Engine) casts each weight and its"
                + " transposed copy to FP8 once an iteration, on the first of its 4 micro-batches");
    assertThat(Exports.notes(plan, ExportTarget.MEGATRON))
        .anyMatch(n -> n.contains("is_first_microbatch") && n.endsWith("prediction."));
    // tp = 2 with sequence parallelism: the column-parallel inputs are gathered in one byte
    Plan tp2 = plan(ModelLoader.load("gpt-tiny", 32), 32, 2, 8, true);
    assertThat(tp2.parallelism().tp()).isEqualTo(2);
    assertThat(Exports.notes(tp2, ExportTarget.MEGATRON))
        .anyMatch(
            n ->
                n.contains(
                    "all-gathers the column-parallel linears' inputs over the tp = 2 ranks in FP8"
                        + " (cast before the gather), one byte an element where pipeplan priced 2"
                        + " bytes"));
    // one micro-batch and no tensor parallelism: nothing runs otherwise than priced
    Plan one = plan(ModelLoader.load("gpt-tiny", 32), 32, 1, 2, true);
    assertThat(one.microBatchCount()).isEqualTo(1);
    assertThat(Exports.notes(one, ExportTarget.MEGATRON)).noneMatch(n -> n.contains("FP8"));
    assertThat(Exports.megatron(one)).doesNotContain("# Note: with FP8");
  }

  @Test
  void megatronRefusesGemmShapesTransformerEngineCannotRunInFp8() {
    // llama-tiny-cpu: ffn 688 = 43 x 16, but 344 per rank at tp = 2
    ModelSpec llama = ModelLoader.load("llama-tiny-cpu", 32);
    assertThat(Exports.megatron(plan(llama, 32, 1, 8, true))).contains("--fp8-recipe tensorwise");
    Plan tp2 = plan(llama, 32, 2, 8, true);
    assertThatThrownBy(() -> Exports.export(tp2, ExportTarget.MEGATRON))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "the plan has training.fp8Linears = true, but Transformer Engine's FP8 GEMMs, which"
                + " Megatron-LM runs them with, need the last dimension of each input and weight"
                + " to be a multiple of 16 and the product of the others a multiple of 8"
                + " (assert_dim_for_fp8_exec), and the MLP down projection's input width 344 per"
                + " tensor rank (tp = 2) is not a multiple of 16. Maybe re-plan without --fp8, or"
                + " with another --tp, to export to Megatron-LM.");
    // torchtitan converts the whole 688-wide layers (module_filter_fn reads the config)
    assertThat(Exports.torchtitan(tp2)).contains("Float8LinearConverter.Config(");
    // 36 tokens a micro-batch: not a multiple of 8
    assertThatThrownBy(
            () -> Exports.megatron(plan(ModelLoader.load("llama-tiny-cpu", 36), 36, 1, 8, true)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("and a micro-batch's 36 tokens are not a multiple of 8.");
    // without FP8 nothing is checked
    assertThat(Exports.megatron(plan(llama, 32, 2, 8, false))).doesNotContain("fp8");
  }

  @Test
  void torchtitanConvertsTheBlocksLinearsWithTheTensorwiseRecipeAndKeepsTheHead() {
    String py = Exports.torchtitan(gptTiny(true));
    assertThat(py)
        .contains(
            "import os\n\n"
                + "from torchtitan.components.quantization import Float8LinearConverter\n"
                + "from torchtitan.components.quantization.utils import has_quantization\n\n")
        .contains(
            "    if has_quantization(config.model_spec.model):\n" + "        raise ValueError(\n")
        .contains(
            "    config.model_spec.model = Float8LinearConverter.Config(\n"
                + "        recipe_name=\"tensorwise\",\n"
                + "        filter_fqns=[\"lm_head\"],\n"
                + "        model_compile_enabled=(\n"
                + "            config.compile.enable and \"model\" in config.compile.components\n"
                + "        ),\n"
                + "    ).build().convert(config.model_spec.model)\n"
                + "    return config\n")
        .contains("# \"rowwise_with_gw_hp\" (6348d93 dropped \"tensorwise\" from the choices)");
    // the converter is applied last, after the activation checkpointing, and imported once
    assertThat(py.indexOf("Float8LinearConverter.Config("))
        .isGreaterThan(py.indexOf("config.activation_checkpoint ="));
    String plain = Exports.torchtitan(gptTiny(false));
    assertThat(plain).doesNotContain("Float8", "quantization", "FP8");
    // with a checkpointing class both imports stay in one block, components before distributed
    Plan fp8 = gptTiny(true);
    TrainingSpec t = fp8.training();
    Plan fullFp8 =
        PlanFixtures.withTraining(
            fp8,
            t.withMemoryModes(
                Recompute.FULL, t.attention(), t.optimizerSharding(), t.sequenceParallel()));
    assertThat(Exports.torchtitan(fullFp8))
        .contains(
            "import os\n\n"
                + "from torchtitan.components.quantization import Float8LinearConverter\n"
                + "from torchtitan.components.quantization.utils import has_quantization\n"
                + "from torchtitan.distributed.activation_checkpoint import FullAC\n\n");
  }

  @Test
  void bothFp8EnginesRefuseBlocksWhoseWidthsAreNotMultiplesOf16() {
    // hidden 72 (4 heads of 18): torchtitan would leave the layers in bf16, TE would refuse them
    ModelSpec odd =
        TransformerLayers.build(
            TransformerConfig.llama("odd-llama", 256, 72, 4, 4, 4, 192, 32, DType.BF16), 32);
    Plan plan = plan(odd, 32, 1, 8, true);
    assertThatThrownBy(() -> Exports.export(plan, ExportTarget.TORCHTITAN))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "the plan has training.fp8Linears = true, but torchtitan's Float8 converter keeps a"
                + " linear layer in bfloat16 when its input or output width is not a multiple of"
                + " 16 (module_filter_fn), and the hidden size 72 is not one, so the layers of that"
                + " width would not run as priced. Maybe re-plan without --fp8 to export it to"
                + " torchtitan.");
    assertThatThrownBy(() -> Exports.export(plan, ExportTarget.MEGATRON))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "and the hidden size 72 (the QKV and MLP up projections' input width) is not a"
                + " multiple of 16.");
    // the same model without FP8 exports to both
    Plan bf16 = plan(odd, 32, 1, 8, false);
    assertThat(Exports.export(bf16, ExportTarget.TORCHTITAN)).hasSize(2);
    assertThat(Exports.export(bf16, ExportTarget.MEGATRON)).hasSize(1);
  }

  @ParameterizedTest
  @EnumSource(
      value = ExportTarget.class,
      names = {"PYTORCH_CSV", "DEEPSPEED", "TORCHGPIPE", "TORCH_SCRIPT"})
  void enginesWithoutFp8LinearsRefuseThePlan(ExportTarget target) {
    Plan plan = gptTiny(true);
    assertThatThrownBy(() -> Exports.export(plan, target))
        .as(target.id())
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(
            "plan has training.fp8Linears = true (made with 'pipeplan plan --fp8': the transformer"
                + " blocks' linear GEMMs in FP8 with per-tensor current scaling); ")
        .hasMessageContaining(", so the linears would not run in FP8 as priced.")
        .hasMessageEndingWith("Maybe re-plan without --fp8, or export to megatron or torchtitan.");
    // the same plan without FP8 gets past the FP8 check (torchgpipe then refuses dp = 2)
    if (target != ExportTarget.TORCHGPIPE) {
      assertThat(Exports.export(gptTiny(false), target)).isNotEmpty();
    }
  }

  @Test
  void theTorchScriptLauncherWritesNothingForAnFp8Plan(@TempDir Path dir) {
    Path out = dir.resolve("launcher");
    assertThatThrownBy(() -> TorchScriptExport.write(gptTiny(true), out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("the torch-script launcher builds its blocks from torch.nn.Linear");
    assertThat(out).doesNotExist();
  }
}
