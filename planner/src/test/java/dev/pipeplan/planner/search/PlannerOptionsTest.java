package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class PlannerOptionsTest {
  private static final ModelSpec GPT2 = ModelLoader.load("gpt2-small", 1024);
  private static final ClusterSpec EIGHT_H100 = Clusters.load("h100:2x4");
  private static final TrainingSpec TRAINING = TrainingSpec.of(32, 1024, GPT2.dtype());
  private static final ModelSpec LLAMA = ModelLoader.load("llama3-8b", 12288);

  /**
   * Eager attention keeps the s² scores: at sequence 12288 memory then leaves a pipelined
   * Llama-3-8B on one DGX H100 room for one micro-batch in flight, the case these tests need (with
   * flash attention, or at 8192, it fits more).
   */
  private static final TrainingSpec LLAMA_TRAINING =
      TrainingSpec.of(128, LLAMA.sequenceLength(), LLAMA.dtype())
          .withMemoryModes(Recompute.NONE, Attention.EAGER, OptimizerSharding.NONE, false);

  private static final ClusterSpec DGX_H100 = Clusters.load("dgx-h100");
  private static final long GIB = 1L << 30;

  private static SearchResult search(SearchOptions options) {
    return Planner.search(GPT2, TRAINING, EIGHT_H100, options, ProgressListener.none());
  }

  @Test
  void fixedVirtualStagesKeepToTheKindsThatTakeThem() {
    SearchOptions options = SearchOptions.defaults().withVirtualStages(2);
    List<Candidate> all = Planner.enumerate(GPT2, TRAINING, EIGHT_H100, options);
    assertThat(all)
        .isNotEmpty()
        .allMatch(c -> c.virtualStages() == 2 && c.kind().acceptsVirtualStages(2));
    assertThat(all).anyMatch(c -> c.kind() == ScheduleKind.INTERLEAVED_1F1B);
    assertThat(search(options).best().candidate().virtualStages()).isEqualTo(2);
    // v = 3 is beyond the default search's largest v for interleaved... but fixed, it is tried
    assertThat(
            Planner.enumerate(
                GPT2,
                TRAINING,
                EIGHT_H100,
                SearchOptions.defaults()
                    .withVirtualStages(3)
                    .withKinds(List.of(ScheduleKind.INTERLEAVED_1F1B))))
        .isNotEmpty()
        .allMatch(c -> c.virtualStages() == 3);
  }

  @Test
  void refusesVirtualStagesForAListedKindThatTakesNone() {
    assertThatThrownBy(
            () ->
                search(
                    SearchOptions.defaults()
                        .withVirtualStages(2)
                        .withKinds(
                            List.of(ScheduleKind.INTERLEAVED_1F1B, ScheduleKind.ONE_F_ONE_B))))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(
            "schedule kind '1f1b' does not take --virtual-stages 2 (it takes v = 1). Maybe drop it"
                + " from --schedules, or use a kind that takes v = 2: interleaved,");
    assertThatThrownBy(
            () ->
                search(
                    SearchOptions.defaults()
                        .withVirtualStages(3)
                        .withKinds(List.of(ScheduleKind.ZB_V))))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'zb-v' does not take --virtual-stages 3 (it takes v = 2)");
  }

  @Test
  void refusesVirtualStagesWithoutAPipeline() {
    assertThatThrownBy(() -> search(SearchOptions.defaults().withPp(1).withVirtualStages(2)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("virtual stages (2)", "pp is fixed to 1", "Maybe use --pp 2");
    assertThatThrownBy(() -> search(SearchOptions.defaults().withPp(4).withVirtualStages(4)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("pp x virtual stages (4 x 4) exceeds the layer count (14)")
        .hasMessageContaining("Maybe use --virtual-stages 3 or fewer");
  }

  @Test
  void theMemoryLimitReplacesTheDevicesMemoryInEitherDirection() {
    Parallelism par = new Parallelism(2, 4, 1);
    long own = EIGHT_H100.device(0).memoryBytes();
    for (long limit : new long[] {10 * GIB, 200 * GIB}) {
      CandidateEvaluator evaluator =
          new CandidateEvaluator(
              GPT2, TRAINING, EIGHT_H100, SearchOptions.defaults().withMemoryLimitBytes(limit));
      assertThat(evaluator.memoryLimit(par, 1)).isEqualTo(limit).isNotEqualTo(own);
    }
    Plan plan =
        PlanBuilder.fromSearch(search(SearchOptions.defaults().withMemoryLimitBytes(200 * GIB)));
    assertThat(plan.predicted().memoryLimitBytes()).isEqualTo(200 * GIB);
  }

  @Test
  void theReasonLineUsesTheSameBubbleAsTheTable() {
    // issue 11: the reason said the bubble took the busiest device's idle time, the table 1 -
    // busy / (p * time)
    SearchResult r =
        Planner.search(
            LLAMA, LLAMA_TRAINING, DGX_H100, SearchOptions.defaults(), ProgressListener.none());
    Evaluation runnerUp = r.ranked().get(1);
    assertThat(runnerUp.pipeline().bubbleRatio()).isGreaterThan(0.1);
    assertThat(r.reason())
        .contains(
            String.format(
                Locale.ROOT,
                "against %.1f%% (%s)",
                100 * runnerUp.pipeline().bubbleRatio(),
                Planner.ms(Planner.parts(runnerUp)[1])));
    for (Evaluation e : r.ranked()) {
      long[] parts = Planner.parts(e);
      assertThat((double) parts[1] / e.pipeline().iterationNanos())
          .isCloseTo(e.pipeline().bubbleRatio(), org.assertj.core.data.Offset.offset(1e-9));
      assertThat(parts[0] + parts[1]).isEqualTo(e.pipeline().iterationNanos());
    }
  }

  @Test
  void saysSoWhenTheWinnerKeepsOneMicroBatchInFlight() {
    SearchResult pipelined =
        Planner.search(
            LLAMA,
            LLAMA_TRAINING,
            DGX_H100,
            SearchOptions.defaults().withPp(2),
            ProgressListener.none());
    assertThat(pipelined.best().candidate().maxInFlightMicroBatches()).isEqualTo(1);
    assertThat(WinnerNotes.of(pipelined))
        .singleElement()
        .asString()
        .contains("keeps one micro-batch in flight", "activation recomputation (--recompute)");
    // unpipelined, one in flight is plain gradient accumulation: nothing to say
    SearchResult unpipelined =
        Planner.search(
            LLAMA, LLAMA_TRAINING, DGX_H100, SearchOptions.defaults(), ProgressListener.none());
    assertThat(WinnerNotes.of(unpipelined)).isEmpty();
  }

  @Test
  void neverSuggestsRecomputationWhenItIsOn() {
    assertThat(WinnerNotes.moreInFlightFixes(Recompute.FULL, Attention.FLASH, ZERO2, 8))
        .containsExactly("more devices");
    assertThat(WinnerNotes.moreInFlightFixes(Recompute.SELECTIVE, Attention.EAGER, ZERO2, 8))
        .containsExactly(
            Planner.RECOMPUTE_HINT + " full",
            "flash attention (--attention flash)",
            "more devices");
    assertThat(WinnerNotes.moreInFlightFixes(Recompute.NONE, Attention.FLASH, ZERO2, 8))
        .containsExactly(Planner.RECOMPUTE_HINT + " selective or full", "more devices");
  }

  @Test
  void suggestsShardingOnlyWhatDataParallelismStillReplicates() {
    assertThat(WinnerNotes.moreInFlightFixes(Recompute.FULL, Attention.FLASH, ZERO1, 8))
        .containsExactly("the gradients sharded over dp too (--zero 2)", "more devices");
    assertThat(
            WinnerNotes.moreInFlightFixes(
                Recompute.FULL, Attention.FLASH, OptimizerSharding.NONE, 8))
        .containsExactly("the optimizer state sharded over dp (--zero 1)", "more devices");
    // without data parallelism there is nothing to shard over
    assertThat(WinnerNotes.moreInFlightFixes(Recompute.FULL, Attention.FLASH, ZERO1, 1))
        .containsExactly("more devices");
  }

  private static final OptimizerSharding ZERO1 = OptimizerSharding.ZERO1;
  private static final OptimizerSharding ZERO2 = OptimizerSharding.ZERO2;
}
