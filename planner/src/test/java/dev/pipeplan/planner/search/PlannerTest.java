package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.planner.PlanValidator;
import dev.pipeplan.simulator.engine.CompiledSchedule;
import dev.pipeplan.simulator.engine.SimulationResult;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlannerTest {
  private static final ModelSpec GPT2 = ModelLoader.load("gpt2-small", 1024);
  private static final ClusterSpec EIGHT_H100 = Clusters.load("h100:2x4");

  private static SearchResult search(SearchOptions options) {
    TrainingSpec training = TrainingSpec.of(32, GPT2.sequenceLength(), GPT2.dtype());
    return Planner.search(GPT2, training, EIGHT_H100, options, ProgressListener.none());
  }

  @Test
  void sameInputGivesTheSameBytes() {
    String first = PlanJson.write(PlanBuilder.fromSearch(search(SearchOptions.defaults())));
    String second = PlanJson.write(PlanBuilder.fromSearch(search(SearchOptions.defaults())));
    assertThat(second).isEqualTo(first);
  }

  @Test
  void oneThreadAndSeveralGiveTheSameBytes() {
    SearchResult one = search(SearchOptions.defaults().withThreads(1));
    SearchResult two = search(SearchOptions.defaults().withThreads(2));
    SearchResult three = search(SearchOptions.defaults().withThreads(3));
    String single = PlanJson.write(PlanBuilder.fromSearch(one));
    assertThat(PlanJson.write(PlanBuilder.fromSearch(two))).isEqualTo(single);
    assertThat(PlanJson.write(PlanBuilder.fromSearch(three))).isEqualTo(single);
    assertThat(two.stats()).isEqualTo(one.stats());
    assertThat(two.pareto()).isEqualTo(one.pareto());
    assertThat(one.stats().candidatesSimulated()).isGreaterThan(EVALUATION_BATCH_FOR_TEST);
  }

  /** More simulated candidates than one batch, so that the batches' merge order is exercised. */
  private static final int EVALUATION_BATCH_FOR_TEST = Planner.EVALUATION_BATCH;

  @Test
  void predictionReplaysTheStoredMetricsExactly() {
    Plan plan = PlanBuilder.fromSearch(search(SearchOptions.defaults()));
    assertThat(PlanValidator.problems(plan)).isEmpty();
    SimulationResult replay =
        PlanPrediction.predict(PlanJson.parse(PlanJson.write(plan), "memory"));
    assertThat(replay.metrics().iterationNanos()).isEqualTo(plan.predicted().pipelineNanos());
    assertThat(replay.metrics().bubbleRatio()).isEqualTo(plan.predicted().bubbleRatio());
    assertThat(replay.metrics().devices()).isEqualTo(plan.predicted().devices());
    assertThat(plan.predicted().iterationNanos())
        .isEqualTo(
            plan.predicted().pipelineNanos()
                + plan.predicted().dataParallelSyncNanos()
                + plan.predicted().optimizerStepNanos());
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(
      value = ScheduleKind.class,
      names = {"ZB_AUTO", "V_HALF", "V_MIN"})
  void aCostOrderedScheduleReplaysFromThePlanFile(ScheduleKind kind) {
    // These kinds order their actions by the partition's own costs: the plan file must carry
    // what regenerates the same order.
    SearchResult r = search(SearchOptions.defaults().withPp(4).withKinds(List.of(kind)));
    Plan plan = PlanBuilder.fromSearch(r);
    assertThat(plan.kind()).isEqualTo(kind);
    assertThat(plan.scheduleRequest().costs())
        .isNotEqualTo(
            dev.pipeplan.simulator.schedule.ScheduleRequest.of(
                    kind, 4, plan.microBatchCount(), plan.virtualStages())
                .costs());
    SimulationResult replay =
        PlanPrediction.predict(PlanJson.parse(PlanJson.write(plan), "memory"));
    assertThat(replay.metrics().iterationNanos()).isEqualTo(plan.predicted().pipelineNanos());
    assertThat(replay.metrics().devices()).isEqualTo(plan.predicted().devices());
  }

  @Test
  void rankedPlansAreSortedAndFitInMemory() {
    SearchResult r = search(SearchOptions.defaults());
    assertThat(r.ranked()).isSortedAccordingTo(Evaluation.RANKING);
    for (Evaluation e : r.ranked()) {
      assertThat(e.fits()).isTrue();
      assertThat(e.candidate().parallelism().deviceCount()).isEqualTo(8);
      assertThat(
              e.candidate().microBatchSize()
                  * e.candidate().microBatchCount()
                  * e.candidate().parallelism().dp())
          .isEqualTo(32);
    }
    assertThat(r.reason()).contains(r.best().candidate().describe());
  }

  @Test
  void paretoSetHasNoDominatedMember() {
    List<Evaluation> front = search(SearchOptions.defaults()).pareto();
    assertThat(front).isNotEmpty();
    for (int i = 1; i < front.size(); i++) {
      assertThat(front.get(i).iterationNanos())
          .isGreaterThanOrEqualTo(front.get(i - 1).iterationNanos());
      assertThat(front.get(i).peakMemoryBytes()).isLessThan(front.get(i - 1).peakMemoryBytes());
    }
  }

  @Test
  void fixedPpAndMicroBatchesSearchOnlyPartitionAndSchedule() {
    SearchResult r = search(SearchOptions.defaults().withPp(4).withMicroBatches(8));
    for (Evaluation e : r.ranked()) {
      assertThat(e.candidate().parallelism().pp()).isEqualTo(4);
      assertThat(e.candidate().microBatchCount()).isEqualTo(8);
    }
  }

  @Test
  void aPlanSaysHowItWasMade() {
    Plan plan =
        PlanBuilder.fromSearch(search(SearchOptions.defaults().withPp(4).withMicroBatches(8)));
    dev.pipeplan.models.Provenance p = plan.provenance();
    assertThat(p.pipeplanVersion()).isEqualTo(dev.pipeplan.models.Provenance.currentVersion());
    assertThat(p.pipeplanVersion()).isNotEqualTo("unknown");
    assertThat(p.searchOptions()).contains("pp 4", "m 8", "tp searched", "schedules all");
    assertThat(p.cluster()).isEqualTo(EIGHT_H100.name());
    assertThat(p.costSource()).startsWith("analytic roofline").contains("h100-sxm", "calibrate");
  }

  @Test
  void onlyTheRequestedKindsAreTried() {
    SearchResult r =
        search(SearchOptions.defaults().withPp(4).withKinds(List.of(ScheduleKind.GPIPE)));
    assertThat(r.ranked()).allMatch(e -> e.candidate().kind() == ScheduleKind.GPIPE);
  }

  @Test
  void lowerBoundsNeverExceedTheSimulatedTime() {
    TrainingSpec training = TrainingSpec.of(32, GPT2.sequenceLength(), GPT2.dtype());
    int checked = 0;
    int capped = 0;
    for (long limit : new long[] {0, 1_500_000_000L}) {
      SearchOptions options =
          limit == 0
              ? SearchOptions.defaults()
              : SearchOptions.defaults().withMemoryLimitBytes(limit);
      CandidateEvaluator evaluator = new CandidateEvaluator(GPT2, training, EIGHT_H100, options);
      for (Candidate c : Planner.enumerate(GPT2, training, EIGHT_H100, options)) {
        Candidate probe = c.kind() == ScheduleKind.ZB_AUTO ? c.withMaxInFlight(1) : c;
        Optional<Partition> p;
        try {
          p = evaluator.partition(evaluator.problem(probe));
        } catch (BadInputException rejected) {
          continue;
        }
        if (p.isEmpty()) {
          continue;
        }
        Candidate fitted = evaluator.withFittingInFlightCap(c, p.get());
        Optional<CompiledSchedule> compiled = evaluator.schedule(fitted.scheduleRequest());
        if (compiled.isEmpty()) {
          continue;
        }
        Evaluation e = evaluator.evaluate(fitted, compiled.get(), p.get());
        String where = fitted.describe() + " limit " + limit;
        assertThat(evaluator.lowerBoundNanos(c)).as(where).isLessThanOrEqualTo(e.iterationNanos());
        assertThat(evaluator.lowerBoundNanos(fitted, e.stageCosts()))
            .as(where)
            .isLessThanOrEqualTo(e.pipeline().iterationNanos());
        checked++;
        capped += fitted.maxInFlightMicroBatches() > 0 ? 1 : 0;
      }
    }
    assertThat(checked).isGreaterThan(50);
    assertThat(capped).as("capped zb-auto candidates checked").isGreaterThan(0);
  }

  @Test
  void refinementNeverMakesThePlanSlower() {
    SearchResult plain =
        search(SearchOptions.defaults().withRefine(false).withPp(4).withMicroBatches(8));
    SearchResult refined = search(SearchOptions.defaults().withPp(4).withMicroBatches(8));
    assertThat(refined.best().iterationNanos()).isLessThanOrEqualTo(plain.best().iterationNanos());
  }

  @Test
  void saysWhichLimitFailedAndByHowMuchWhenNothingFits() {
    ModelSpec big = ModelLoader.load("gpt3-175b", 2048);
    TrainingSpec training = TrainingSpec.of(8, 2048, big.dtype());
    assertThatThrownBy(
            () ->
                Planner.search(
                    big,
                    training,
                    Clusters.load("h100:1x8"),
                    SearchOptions.defaults(),
                    ProgressListener.none()))
        .isInstanceOf(BadInputException.class)
        .hasMessageMatching(
            "no plan fits in memory: the closest candidate \\(pp=\\d+ .*\\) peaks at [0-9.]+ GiB on"
                + " pipeline device \\d+ \\(h100-sxm\\), [0-9.]+ [MG]iB over its limit of [0-9.]+"
                + " GiB; its weights, gradients and optimizer state alone take [0-9.]+ GiB there, .*"
                + " Maybe use more devices\\.");
  }

  @Test
  void givesTheFasterDeviceKindMoreLayers() {
    List<LayerSpec> layers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      layers.add(
          new LayerSpec(
              "l" + i,
              LayerKind.MLP,
              LayerShape.unknown(LayerKind.MLP),
              4e12,
              4e12,
              4e12,
              1000,
              1 << 20,
              1 << 16,
              null));
    }
    ModelSpec uniform = new ModelSpec("uniform-12", layers, DType.BF16, 0);
    ClusterSpec mixed =
        new ClusterSpec(
            "h100+v100",
            List.of(
                new DeviceGroup(Clusters.device("h100"), 1, 1),
                new DeviceGroup(Clusters.device("v100"), 1, 1)),
            EIGHT_H100.intraNodeLink(),
            EIGHT_H100.interNodeLink());
    SearchResult r =
        Planner.search(
            uniform,
            TrainingSpec.of(8, 0, DType.BF16),
            mixed,
            SearchOptions.defaults().withPp(2).withKinds(List.of(ScheduleKind.ONE_F_ONE_B)),
            ProgressListener.none());
    List<Integer> counts = r.best().partition().layerCounts();
    assertThat(counts.get(0)).isGreaterThan(counts.get(1));
  }

  @Test
  void zbAutoCapsItsInFlightMicroBatchesWhereTheFixedZeroBubbleKindsNoLongerFit() {
    SearchOptions fixed =
        SearchOptions.defaults()
            .withPp(4)
            .withTp(1)
            .withMicroBatches(16)
            .withKinds(List.of(ScheduleKind.ZB_H1, ScheduleKind.ZB_H2));
    long limit = search(fixed).best().peakMemoryBytes();
    for (int step = 0; step < 30 && fitsAnything(fixed.withMemoryLimitBytes(limit)); step++) {
      limit = limit * 9 / 10;
    }
    assertThat(fitsAnything(fixed.withMemoryLimitBytes(limit)))
        .as("ZB-H1/H2 at " + limit)
        .isFalse();
    SearchResult auto =
        search(fixed.withKinds(List.of(ScheduleKind.ZB_AUTO)).withMemoryLimitBytes(limit));
    Evaluation best = auto.best();
    assertThat(best.fits()).isTrue();
    assertThat(best.peakMemoryBytes()).isLessThanOrEqualTo(limit);
    assertThat(best.candidate().maxInFlightMicroBatches()).isBetween(1, 2 * 4 - 2);
    Plan plan = PlanBuilder.fromSearch(auto);
    assertThat(plan.maxInFlightMicroBatches())
        .isEqualTo(best.candidate().maxInFlightMicroBatches());
    assertThat(PlanPrediction.predict(plan).metrics().iterationNanos())
        .isEqualTo(plan.predicted().pipelineNanos());
  }

  private static boolean fitsAnything(SearchOptions options) {
    try {
      search(options);
      return true;
    } catch (BadInputException e) {
      return false;
    }
  }

  @Test
  void rejectsMoreStagesThanLayers() {
    assertThatThrownBy(() -> search(SearchOptions.defaults().withPp(16)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("pp (16) exceeds the layer count (14)")
        .hasMessageContaining("Maybe use --pp 14 or fewer");
  }

  @Test
  void rejectsAGlobalBatchNoDataParallelDegreeDivides() {
    TrainingSpec training = TrainingSpec.of(7, GPT2.sequenceLength(), GPT2.dtype());
    assertThatThrownBy(
            () ->
                Planner.search(
                    GPT2,
                    training,
                    EIGHT_H100,
                    SearchOptions.defaults().withPp(4).withTp(1),
                    ProgressListener.none()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "the fewest model replicas they allow is dp 2 (pp=4 tp=1, as --pp and --tp fix them),"
                + " which does not divide 7. Maybe use --global-batch 6 or 8");
  }

  @Test
  void theTieBreakSentenceNamesCpWhereTheOrderUsesIt() {
    // before: "smaller pp, tp, dp, b, ..." unless a candidate had cp > 1, while Candidate.ORDER
    // always compares cp after tp and before dp
    List<Evaluation> ranked = search(SearchOptions.defaults().withThreads(1)).ranked();
    Evaluation w = ranked.get(0);
    Candidate c = w.candidate();
    Candidate later =
        new Candidate(
            c.parallelism(),
            c.microBatchSize(),
            c.microBatchCount(),
            c.kind(),
            c.virtualStages(),
            c.maxInFlightMicroBatches() + 1);
    Evaluation tied =
        new Evaluation(
            later,
            w.partition(),
            w.stageCosts(),
            w.pipeline(),
            w.dataParallelSyncNanos(),
            w.optimizerStepNanos(),
            w.memoryLimitBytes(),
            w.overMemoryBytes(),
            w.overMemoryDevice(),
            w.postValidated());
    assertThat(c.parallelism().cp()).isEqualTo(1);
    assertThat(Planner.reason(List.of(w, tied)))
        .contains(
            "wins on the fixed tie-break order (smaller pp, tp, cp, dp, b, then schedule kind");
    // the order the sentence states is the comparator's: tp before cp, cp before dp
    Parallelism tp1cp4 = new Parallelism(2, 1, 1, 4);
    Parallelism tp2cp2 = new Parallelism(2, 1, 2, 2);
    Parallelism cp2dp1 = new Parallelism(2, 1, 1, 2);
    Parallelism cp1dp2 = new Parallelism(2, 2, 1, 1);
    assertThat(Candidate.ORDER.compare(with(c, tp1cp4), with(c, tp2cp2))).isNegative();
    assertThat(Candidate.ORDER.compare(with(c, cp1dp2), with(c, cp2dp1))).isNegative();
  }

  private static Candidate with(Candidate c, Parallelism par) {
    return new Candidate(
        par,
        c.microBatchSize(),
        c.microBatchCount(),
        c.kind(),
        c.virtualStages(),
        c.maxInFlightMicroBatches());
  }
}
