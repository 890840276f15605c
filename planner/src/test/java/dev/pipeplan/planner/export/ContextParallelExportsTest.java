package dev.pipeplan.planner.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What each export does with a plan that splits every sequence over cp devices. */
class ContextParallelExportsTest {
  /**
   * gpt-tiny at s = 32 on four H100s: pp = 2, tp = 1, 1F1B, the sharding and attention given, and
   * cp as given (dp = 4 / (2 * cp)).
   */
  private static Plan plan(int cp, OptimizerSharding sharding, Attention attention) {
    TrainingSpec t = TrainingSpec.of(8, 32, DType.BF16);
    return PlanBuilder.fromSearch(
        Planner.search(
            ModelLoader.load("gpt-tiny", 32),
            t.withMemoryModes(Recompute.NONE, attention, sharding, false),
            Clusters.load("h100:1x4"),
            SearchOptions.defaults()
                .withPp(2)
                .withTp(1)
                .withKinds(List.of(ScheduleKind.ONE_F_ONE_B))
                .withMicroBatchSize(1)
                .withContextParallel(cp),
            ProgressListener.none()));
  }

  private static Plan cp2() {
    return plan(2, OptimizerSharding.ZERO1, Attention.FLASH);
  }

  @Test
  void torchtitanIsToldThatItsAttentionIsFlashAttention2ClassOnHopper() {
    String note = "Re-plan with --attention flash2";
    Plan flash = plan(1, OptimizerSharding.ZERO1, Attention.FLASH);
    assertThat(Exports.notes(flash, ExportTarget.TORCHTITAN)).anyMatch(n -> n.contains(note));
    Plan flash2 = plan(1, OptimizerSharding.ZERO1, Attention.FLASH2);
    assertThat(Exports.notes(flash2, ExportTarget.TORCHTITAN)).noneMatch(n -> n.contains(note));
  }

  @Test
  void torchtitanIsToldThatItRunsNoEagerAttention() {
    // an eager plan exported without a word, though torchtitan runs only fused kernels
    Plan eager = plan(1, OptimizerSharding.ZERO1, Attention.EAGER);
    assertThat(Exports.notes(eager, ExportTarget.TORCHTITAN))
        .anyMatch(
            n ->
                n.startsWith("the plan priced eager attention")
                    && n.endsWith(
                        "Re-plan with --attention flash2 for the prediction of what torchtitan"
                            + " runs."));
    assertThat(Exports.torchtitan(eager))
        .contains("# Note: the plan priced eager attention (unfused kernels, the s² scores kept");
  }

  @Test
  void theFixtureSplitsEachSequenceOverTwoRanks() {
    Plan plan = cp2();
    assertThat(plan.parallelism().cp()).isEqualTo(2);
    assertThat(plan.parallelism().dp()).isEqualTo(1);
    assertThat(plan.parallelism().deviceCount()).isEqualTo(4);
  }

  @Test
  void megatronGetsTheContextParallelSizeAndTheRingThePlanPriced() {
    String args = Exports.megatron(cp2());
    assertThat(args)
        .contains(
            "  --pipeline-model-parallel-size 2\n"
                + "  --context-parallel-size 2\n"
                + "  --cp-comm-type p2p\n"
                + "  --num-layers ")
        .contains(
            "# --context-parallel-size 2 splits each sequence over that many ranks in 2 x cp"
                + " load-balanced chunks; --cp-comm-type p2p, Megatron-Core's default ring,")
        .contains("  --attention-backend auto\n");
    // Megatron's data-parallel size is world / (tp x pp x cp): the global batch stays the plan's
    assertThat(args).contains("  --global-batch-size 8\n", "  --seq-length 32\n");
    // dp = 1, but the gradients are reduced and the optimizer sharded over dp x cp = 2
    assertThat(args).contains("  --use-distributed-optimizer\n  --overlap-grad-reduce\n");
    assertThat(
            Exports.notes(plan(2, OptimizerSharding.ZERO2, Attention.FLASH), ExportTarget.MEGATRON))
        .anyMatch(n -> n.startsWith("the plan shards the gradients over dp x cp = 2 "));
    String noCp = Exports.megatron(plan(1, OptimizerSharding.ZERO1, Attention.FLASH));
    assertThat(noCp).doesNotContain("context-parallel", "cp-comm-type");
  }

  @Test
  void megatronAndTorchtitanRefuseEagerAttentionAtContextParallel() {
    Plan eager = plan(2, OptimizerSharding.ZERO1, Attention.EAGER);
    assertThatThrownBy(() -> Exports.export(eager, ExportTarget.MEGATRON))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("attention 'eager'")
        .hasMessageContaining("at cp = 2")
        .hasMessageContaining("Transformer Engine's flash or fused attention")
        .hasMessageContaining("Maybe re-plan with --attention flash");
    assertThatThrownBy(() -> Exports.export(eager, ExportTarget.TORCHTITAN))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("attention 'eager'")
        .hasMessageContaining("FlexAttention only")
        .hasMessageContaining("Maybe re-plan with --attention flash");
    // without context parallelism an eager plan still exports, with the unfused backend
    assertThat(Exports.megatron(plan(1, OptimizerSharding.ZERO1, Attention.EAGER)))
        .contains("  --attention-backend unfused\n");
  }

  @Test
  void torchtitanSetsTheDegreeAndSaysItsExchangeIsNotTheRing() {
    Plan plan = cp2();
    String py = Exports.torchtitan(plan);
    assertThat(py)
        .contains(
            "    p.tensor_parallel_degree = 1\n"
                + "    p.context_parallel_degree = 2\n"
                + "    p.context_parallel_load_balancer = \"headtail\"\n")
        .contains("NGPU=4 ")
        .contains("# Context parallelism (cp = 2): torchtitan runs it with FlexAttention only")
        .contains("# Note: torchtitan all-gathers each block's keys and values over the cp = 2");
    // the tokens a data-parallel rank reads are counted before the cp split
    assertThat(py).contains("    t.num_tokens_per_microbatch_per_dp_rank = 32\n");
    assertThat(Exports.notes(plan, ExportTarget.TORCHTITAN))
        .anyMatch(n -> n.startsWith("torchtitan all-gathers") && !n.contains("\n"));
    String noCp = Exports.torchtitan(plan(1, OptimizerSharding.ZERO1, Attention.FLASH));
    assertThat(noCp).doesNotContain("context_parallel", "Context parallelism", "all-gathers");
  }

  @Test
  void torchtitanShardsOverTheContextParallelRanksAndSaysSoWhenThePlanDoesNot() {
    // no sharding at cp = 2, dp = 1: torchtitan's FSDP shards over cp anyway
    Plan none = plan(2, OptimizerSharding.NONE, Attention.FLASH);
    String py = Exports.torchtitan(none);
    assertThat(py)
        .contains(
            "    p.data_parallel_replicate_degree = 1\n"
                + "    p.data_parallel_shard_degree = 1\n"
                + "    p.fsdp_reshard_after_forward = \"never\"\n")
        .contains(
            "# Note: torchtitan shards the weights, gradients and optimizer state over the cp");
    assertThat(Exports.notes(none, ExportTarget.TORCHTITAN))
        .anyMatch(n -> n.startsWith("torchtitan shards the weights") && n.contains("--zero 2"));
    // ZeRO-1 over dp x cp = 2: the ZeRO-2 nearest, with its note, even at dp = 1
    assertThat(Exports.torchtitan(cp2()))
        .contains("# Note: torchtitan has no ZeRO-1", "p.fsdp_reshard_after_forward = \"never\"")
        .doesNotContain("--zero 0 for DDP");
    // ZeRO-3 is FSDP over dp x cp, as priced: no sharding note
    String zero3 = Exports.torchtitan(plan(2, OptimizerSharding.ZERO3, Attention.FLASH));
    assertThat(zero3)
        .contains(
            "# ZeRO-3: FSDP over the dp x cp ranks",
            "    p.fsdp_reshard_after_forward = \"always\"\n")
        .doesNotContain("torchtitan shards the weights", "no ZeRO-1");
  }

  @ParameterizedTest
  @EnumSource(
      value = ExportTarget.class,
      names = {"DEEPSPEED", "TORCHGPIPE", "TORCH_SCRIPT"})
  void enginesWithoutContextParallelismRefuseItNamingTheFix(ExportTarget target) {
    assertThatThrownBy(() -> Exports.export(cp2(), target))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("plan has cp = 2 (each sequence split over 2 devices); ")
        .hasMessageEndingWith(
            "so it needs cp = 1. Maybe re-plan with --cp 1, or export to megatron or torchtitan.");
  }

  @Test
  void pytorchCsvStagesSayTheContextParallelDegree() throws IOException {
    JsonNode stages = Json.json().readTree(Exports.stagesJson(cp2()));
    assertThat(stages.get("contextParallelDegree").asInt()).isEqualTo(2);
    assertThat(Exports.stagesJson(cp2()))
        .contains("\"pipelineDegree\" : 2,\n  \"contextParallelDegree\" : 2,\n");
    JsonNode noCp =
        Json.json().readTree(Exports.stagesJson(plan(1, OptimizerSharding.ZERO1, Attention.FLASH)));
    assertThat(noCp.has("contextParallelDegree")).isFalse();
  }
}
