package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.WorkLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The search's work limits and the messages of a search that finds nothing. */
class PlannerLimitsTest {
  private static final ModelSpec GPT2_XL = ModelLoader.load("gpt2-xl", 0);
  private static final ClusterSpec FOUR_H100 = Clusters.load("h100:1x4");

  private static TrainingSpec batch(int global) {
    return TrainingSpec.of(global, GPT2_XL.sequenceLength(), GPT2_XL.dtype());
  }

  private static final ModelSpec LLAMA = ModelLoader.load("llama3-8b", 0);

  private static TrainingSpec llamaBatch(int global) {
    return TrainingSpec.of(global, LLAMA.sequenceLength(), LLAMA.dtype());
  }

  @Test
  void refusesAGlobalBatchAboveTheLimitBeforeEnumerating() {
    // before the limit: 14 s of enumerating 2e9 micro-batch sizes, then "long overflow"
    assertThatThrownBy(
            () ->
                Planner.search(
                    GPT2_XL,
                    batch(2_000_000_000),
                    FOUR_H100,
                    SearchOptions.defaults(),
                    ProgressListener.none()))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(
            "--global-batch (2000000000) is above the limit of 1,048,576 samples per optimizer"
                + " step.");
  }

  @Test
  void enumeratesNoCandidateWithMoreActionsThanTheSimulatorAccepts() {
    List<Candidate> candidates =
        Planner.enumerate(
            GPT2_XL, batch(WorkLimits.MAX_GLOBAL_BATCH), FOUR_H100, SearchOptions.defaults());
    assertThat(candidates).isNotEmpty().hasSizeLessThanOrEqualTo(WorkLimits.MAX_SEARCH_CANDIDATES);
    for (Candidate c : candidates) {
      assertThat(
              WorkLimits.actionCount(
                  c.kind(), c.parallelism().pp(), c.virtualStages(), c.microBatchCount()))
          .as(c.describe())
          .isLessThanOrEqualTo(WorkLimits.MAX_ACTIONS);
    }
  }

  @Test
  void divisorsAreAscendingAndComplete() {
    assertThat(Planner.divisors(36)).containsExactly(1, 2, 3, 4, 6, 9, 12, 18, 36);
    assertThat(Planner.divisors(1)).containsExactly(1);
    assertThat(Planner.divisors(1 << 20)).hasSize(21).startsWith(1, 2).endsWith(1 << 20);
  }

  @Test
  void saysWhenTheGlobalBatchIsNotDivisibleByTheFixedMicroBatches() {
    // before: "no candidate plan for 4 devices, global batch 100, microbatches 8, microbatch size
    // 0"
    assertThatThrownBy(
            () ->
                Planner.search(
                    GPT2_XL,
                    batch(100),
                    FOUR_H100,
                    SearchOptions.defaults().withMicroBatches(8),
                    ProgressListener.none()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "global batch (100) is not a multiple of microbatches (8) x dp for dp 1, 2 or 4 (the 4"
                + " devices over pp x tp of each layout this search allows): each replica's samples"
                + " must split into 8 micro-batches of one size. Maybe use --global-batch 96 or 104"
                + " (a multiple of 8), or --microbatches 4, 5 or 10 (dividing 100).");
  }

  @Test
  void aBatchThatNoReplicaCountDividesNamesTheFewestReplicasAndTheNearestBatches() {
    // before: "global batch (7) is not a multiple of dp (2) for pp=16 tp=1. Maybe use a global
    // batch that is a multiple of the data-parallel degree, or drop --microbatches /
    // --microbatch-size", options this command line never gave
    ModelSpec vgg = ModelLoader.load("vgg16", 0);
    assertThatThrownBy(
            () ->
                Planner.search(
                    vgg,
                    TrainingSpec.of(7, 0, vgg.dtype()),
                    Clusters.load("h100:4x8"),
                    SearchOptions.defaults(),
                    ProgressListener.none()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "no candidate plan for 32 devices, global batch 7: every plan uses all the devices,"
                + " and the fewest model replicas they allow is dp 2 (pp=16 tp=1; pp is at most"
                + " the model's 21 layers), which does not divide 7. Maybe use --global-batch 6 or"
                + " 8, or a cluster of fewer devices.");
  }

  @Test
  void theClosestCandidateReportsItsSimulatedPeakAboveItsLimit() {
    // before: "needs 72.1 GiB on pipeline device 0, the limit is 78.0 GiB: -5.9 GiB over"
    // Llama-3-8B fits this search since flash attention and no dropout masks are priced (issue
    // 11); Llama-2-70B's weights and optimizer state alone exceed eight H100s.
    ModelSpec llama = ModelLoader.load("llama2-70b", 0);
    TrainingSpec training = TrainingSpec.of(128, llama.sequenceLength(), llama.dtype());
    SearchOptions options =
        SearchOptions.defaults()
            .withPp(2)
            .withKinds(List.of(ScheduleKind.GPIPE, ScheduleKind.ONE_F_ONE_B));
    Throwable thrown =
        catchThrowable(
            () ->
                Planner.search(
                    llama, training, Clusters.load("dgx-h100"), options, ProgressListener.none()));
    assertThat(thrown).isInstanceOf(BadInputException.class);
    Matcher m =
        Pattern.compile(
                "no plan fits in memory: the closest candidate \\(.*\\) peaks at ([0-9.]+) GiB on"
                    + " pipeline device \\d+ \\(h100-sxm\\), ([0-9.]+) ([MG])iB over its limit of"
                    + " ([0-9.]+) GiB; its weights, gradients and optimizer state alone take"
                    + " ([0-9.]+) GiB there, so fewer activations cannot make it fit \\(one"
                    + " replica's take ([0-9.]+) GiB: at least (\\d+) devices of [0-9.]+ GiB,"
                    + " unless --zero shards them over data parallelism\\)\\. Maybe use (.*)\\.")
            .matcher(thrown.getMessage());
    assertThat(m.matches()).as(thrown.getMessage()).isTrue();
    double peak = Double.parseDouble(m.group(1));
    double limit = Double.parseDouble(m.group(4));
    double fixed = Double.parseDouble(m.group(5));
    assertThat(peak).isGreaterThan(fixed).isGreaterThan(limit);
    assertThat(fixed).isGreaterThan(limit);
    assertThat(Double.parseDouble(m.group(2))).isPositive();
    // a replica of Llama-2-70B holds about 69 billion parameters at 18 bytes each (fp32 main
    // gradients), which no fewer than its GiB over 78 devices hold
    double replica = Double.parseDouble(m.group(6));
    assertThat(replica).isBetween(1000.0, 1200.0);
    assertThat(Integer.parseInt(m.group(7))).isEqualTo((int) Math.ceil(replica / limit));
    // fewer activations (recomputation, zb-auto's fewer micro-batches in flight) cannot help
    assertThat(m.group(8))
        .contains("more devices")
        .doesNotContain("--recompute", "zb-auto", "--microbatch-size", "--memory-limit");
  }

  @Test
  void theWeightsAloneClauseSuggestsOnlyTheShardingThatIsNotInEffect() {
    // GPT-3 175B on 16 H100s with a global batch of 7: dp is 1 or 7, so the closest candidate has
    // one replica; under --zero 3 the clause said "unless --zero shards them over data
    // parallelism", the option already given
    ModelSpec gpt = ModelLoader.load("gpt3-175b", 0);
    ClusterSpec cluster = Clusters.load("h100:2x8");
    SearchOptions options = SearchOptions.defaults().withKinds(List.of(ScheduleKind.ONE_F_ONE_B));
    TrainingSpec base = TrainingSpec.of(7, gpt.sequenceLength(), gpt.dtype());
    Map<OptimizerSharding, String> clauses =
        Map.of(
            OptimizerSharding.ZERO3, "devices of 78.0 GiB, over which --zero 3 shards them)",
            OptimizerSharding.ZERO1,
                "unless --zero 3 shards the weights and gradients over data parallelism too)",
            OptimizerSharding.ZERO2,
                "unless --zero 3 shards the weights over data parallelism too)");
    for (Map.Entry<OptimizerSharding, String> clause : clauses.entrySet()) {
      TrainingSpec training =
          base.withMemoryModes(
              base.recompute(), base.attention(), clause.getKey(), base.sequenceParallel());
      assertThatThrownBy(
              () -> Planner.search(gpt, training, cluster, options, ProgressListener.none()))
          .as(clause.getKey().toString())
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("alone take")
          .hasMessageContaining(clause.getValue())
          .hasMessageNotContaining("unless --zero shards");
    }
  }

  @Test
  void hintsOnlyAtWhatTheUserFixed() {
    // GPT-3 1.3B's weights, fp32 gradients and Adam state take 22 GiB: on a 38 GiB A100 it is the
    // activations that do not fit, so the hints name what reduces them
    ModelSpec gpt = ModelLoader.load("gpt3-1.3b", 0);
    ClusterSpec one = Clusters.load("a100-40gb:1x1");
    List<ScheduleKind> kinds = List.of(ScheduleKind.ONE_F_ONE_B);
    assertThatThrownBy(
            () ->
                Planner.search(
                    gpt,
                    TrainingSpec.of(8, gpt.sequenceLength(), gpt.dtype()),
                    one,
                    SearchOptions.defaults().withMicroBatchSize(8).withKinds(kinds),
                    ProgressListener.none()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("a smaller --microbatch-size than 8")
        .hasMessageContaining("--recompute")
        .hasMessageContaining("--schedules with zb-auto")
        .hasMessageNotContaining("alone take");
    // b = 1 cannot get smaller; the limit the user set can grow
    assertThatThrownBy(
            () ->
                Planner.search(
                    gpt,
                    TrainingSpec.of(1, gpt.sequenceLength(), gpt.dtype()),
                    one,
                    SearchOptions.defaults()
                        .withMicroBatchSize(1)
                        .withKinds(kinds)
                        .withMemoryLimitBytes(24L << 30),
                    ProgressListener.none()))
        .isInstanceOf(BadInputException.class)
        .hasMessageNotContaining("--microbatch-size")
        .hasMessageContaining("--recompute")
        .hasMessageContaining("a larger --memory-limit");
  }

  @Test
  void fixedMicroBatchesAndSizeMustMultiplyWithTheDpTheDevicesLeaveToTheBatch() {
    // before: "global batch (16) is not divisible by microbatches (8) x microbatch size (1) x dp
    // for any data-parallel degree this search allows (dp 1). Maybe use --global-batch 16 or 24 (a
    // multiple of 8), or --microbatches 2, 4 or 8": 16 is divisible by 8, the rule is that 16 =
    // m x b x dp, and 16 and 8 were the values just refused
    SearchOptions fixed = SearchOptions.defaults().withMicroBatches(8).withMicroBatchSize(1);
    assertThatThrownBy(
            () ->
                Planner.enumerate(
                    LLAMA,
                    llamaBatch(16),
                    Clusters.load("h100:2x8"),
                    fixed.withPp(2).withTp(2).withContextParallel(4)))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "global batch (16) must equal microbatches (8) x microbatch size (1) x dp, which is 8"
                + " with dp 1 (16 devices / (pp 2 x tp 2 x cp 4)). Maybe use --global-batch 8, or"
                + " --microbatches 16, or --microbatch-size 2.");
    assertThatThrownBy(
            () -> Planner.enumerate(LLAMA, llamaBatch(16), FOUR_H100, fixed.withPp(2).withTp(2)))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "global batch (16) must equal microbatches (8) x microbatch size (1) x dp, which is 8"
                + " with dp 1 (4 devices / (pp 2 x tp 2)). Maybe use --global-batch 8, or"
                + " --microbatches 16, or --microbatch-size 2.");
  }

  @Test
  void everyValueTheMicroBatchRefusalSuggestsIsAcceptedAndNoneIsTheOneGiven() {
    Pattern hint =
        Pattern.compile("--(global-batch|microbatches|microbatch-size) (\\d+(?:(?:, | or )\\d+)*)");
    List<String> refusals = new ArrayList<>();
    for (String cluster : List.of("h100:1x4", "h100:2x8")) {
      for (SearchOptions layout :
          List.of(
              SearchOptions.defaults(),
              SearchOptions.defaults().withPp(2),
              SearchOptions.defaults().withPp(2).withTp(2).withContextParallel(2))) {
        for (int global : new int[] {5, 12, 16, 100}) {
          for (int m : new int[] {3, 8}) {
            for (int b : new int[] {0, 1, 2}) {
              SearchOptions options = layout.withMicroBatches(m);
              SearchOptions given = b == 0 ? options : options.withMicroBatchSize(b);
              String what = cluster + " global " + global + " m " + m + " b " + b;
              String message;
              try {
                Planner.enumerate(LLAMA, llamaBatch(global), Clusters.load(cluster), given);
                continue;
              } catch (BadInputException e) {
                message = e.getMessage();
              }
              if (!message.startsWith("global batch (" + global + ") ")) {
                continue;
              }
              refusals.add(message);
              Matcher m2 = hint.matcher(message.substring(message.indexOf("Maybe use")));
              int suggestions = 0;
              while (m2.find()) {
                for (String value : m2.group(2).split(", | or ")) {
                  int v = Integer.parseInt(value);
                  suggestions++;
                  String option = m2.group(1);
                  TrainingSpec training = llamaBatch(option.equals("global-batch") ? v : global);
                  SearchOptions changed =
                      switch (option) {
                        case "microbatches" -> given.withMicroBatches(v);
                        case "microbatch-size" -> given.withMicroBatchSize(v);
                        default -> given;
                      };
                  int old =
                      switch (option) {
                        case "microbatches" -> m;
                        case "microbatch-size" -> b;
                        default -> global;
                      };
                  assertThat(v).as(what + ": " + message).isNotEqualTo(old);
                  assertThat(Planner.enumerate(LLAMA, training, Clusters.load(cluster), changed))
                      .as(what + " with --" + option + " " + v + ": " + message)
                      .isNotEmpty();
                }
              }
              assertThat(suggestions).as(what + ": " + message).isPositive();
            }
          }
        }
      }
    }
    // the sweep reaches both forms of the rule
    assertThat(refusals).anyMatch(r -> r.contains("must equal microbatches"));
    assertThat(refusals).anyMatch(r -> r.contains("is not a multiple of microbatches"));
  }
}
