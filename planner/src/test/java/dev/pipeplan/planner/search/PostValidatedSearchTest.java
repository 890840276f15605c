package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.simulator.engine.IterationBoundary;
import dev.pipeplan.simulator.engine.SteadyState;
import dev.pipeplan.simulator.engine.SteadyStateSimulator;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@code plan --optimizer-post-validation}: the search, the plan file and its replay. */
class PostValidatedSearchTest {
  private static final long SEED = 20261202L;
  private static final ModelSpec GPT2 = ModelLoader.load("gpt2-small", 1024);
  private static final ClusterSpec EIGHT_H100 = Clusters.load("h100:2x4");

  private static SearchOptions fixed(int pp, int m, ScheduleKind... kinds) {
    return SearchOptions.defaults()
        .withPp(pp)
        .withTp(1)
        .withMicroBatches(m)
        .withMicroBatchSize(1)
        .withKinds(List.of(kinds));
  }

  private static SearchResult search(SearchOptions options, int globalBatch) {
    TrainingSpec training = TrainingSpec.of(globalBatch, GPT2.sequenceLength(), GPT2.dtype());
    return Planner.search(GPT2, training, EIGHT_H100, options, ProgressListener.none());
  }

  private static Plan plan(SearchOptions options, int globalBatch) {
    return PlanBuilder.fromSearch(search(options, globalBatch));
  }

  @Test
  void aZeroBubblePlanIsPredictedAtItsSteadyStatePeriodAndNeverSlowerThanSynchronous() {
    for (ScheduleKind kind : ScheduleKind.values()) {
      if (!kind.allowsOptimizerPostValidation()) {
        continue;
      }
      for (int m : new int[] {8, 16}) {
        SearchOptions options = fixed(4, m, kind).withOptimizerPostValidation(true);
        SearchResult result = search(options, 2 * m);
        Evaluation best = result.best();
        Plan plan = PlanBuilder.fromSearch(result);
        assertThat(plan.optimizerPostValidation()).as("%s m=%d", kind, m).isTrue();
        SteadyState replayed = PlanPrediction.steadyState(plan).orElseThrow();
        assertThat(plan.predicted().iterationNanos())
            .as("%s m=%d: the plan's iteration is its replayed period", kind, m)
            .isEqualTo(replayed.periodNanos())
            .isEqualTo(best.postValidated().orElseThrow().periodNanos());
        // the same plan (schedule, partition, costs) with a synchronous step
        long synchronous =
            plan.predicted().pipelineNanos()
                + plan.predicted().dataParallelSyncNanos()
                + plan.predicted().optimizerStepNanos();
        assertThat(plan.predicted().iterationNanos())
            .as("%s m=%d", kind, m)
            .isLessThanOrEqualTo(synchronous);
        // and the best synchronous plan of the same search
        Plan synchronousPlan = plan(fixed(4, m, kind), 2 * m);
        assertThat(plan.predicted().iterationNanos())
            .as("%s m=%d vs the synchronous search", kind, m)
            .isLessThanOrEqualTo(synchronousPlan.predicted().iterationNanos());
      }
    }
  }

  @Test
  void thePeriodHoldsTheSyncAndStepOfEveryDevice() {
    // the period is at least the busiest device's actions plus the sync and the step it is charged
    SearchResult result =
        search(
            SearchOptions.defaults()
                .withPp(2)
                .withTp(1)
                .withMicroBatchSize(1)
                .withMicroBatches(8)
                .withKinds(List.of(ScheduleKind.ZB_H2))
                .withOptimizerPostValidation(true),
            32);
    Evaluation best = result.best();
    assertThat(best.candidate().parallelism().dp()).isEqualTo(4);
    assertThat(best.dataParallelSyncNanos()).isPositive();
    long busiest =
        best.pipeline().devices().stream().mapToLong(d -> d.busyNanos()).max().orElseThrow();
    assertThat(best.iterationNanos())
        .isGreaterThanOrEqualTo(busiest + best.dataParallelSyncNanos() + best.optimizerStepNanos());
    // the boundary without sync and step gives a shorter period
    Plan plan = PlanBuilder.fromSearch(result);
    SteadyState bare =
        SteadyStateSimulator.simulate(
            PlanPrediction.schedule(plan), plan.costs(), IterationBoundary.none(2));
    assertThat(bare.periodNanos()).isLessThan(plan.predicted().iterationNanos());
  }

  @Test
  void oneFOneBPlansAreUnchangedByTheOption() {
    for (ScheduleKind kind :
        List.of(ScheduleKind.ONE_F_ONE_B, ScheduleKind.INTERLEAVED_1F1B, ScheduleKind.GPIPE)) {
      Plan off = plan(SearchOptions.defaults().withKinds(List.of(kind)), 32);
      Plan on =
          plan(
              SearchOptions.defaults().withKinds(List.of(kind)).withOptimizerPostValidation(true),
              32);
      assertThat(on.optimizerPostValidation()).isFalse();
      assertThat(on.predicted()).as("%s", kind).isEqualTo(off.predicted());
      assertThat(on.partition()).isEqualTo(off.partition());
      assertThat(on.runnersUp()).isEqualTo(off.runnersUp());
      String json = PlanJson.write(on);
      assertThat(json).doesNotContain("optimizerPostValidation");
      // only the search options in the provenance say the option was given
      assertThat(json.replace(", optimizer step post-validated where the kind allows it", ""))
          .isEqualTo(PlanJson.write(off));
    }
  }

  @Test
  void anyOrderOfTheScheduleKindsAndAnyThreadCountGiveTheSamePlanWithTheOptionOn() {
    List<ScheduleKind> kinds =
        List.of(
            ScheduleKind.ONE_F_ONE_B,
            ScheduleKind.ZB_H1,
            ScheduleKind.ZB_H2,
            ScheduleKind.ZB_AUTO,
            ScheduleKind.ZB_V,
            ScheduleKind.V_HALF,
            ScheduleKind.INTERLEAVED_1F1B);
    SearchOptions base =
        SearchOptions.defaults().withMicroBatchSize(1).withOptimizerPostValidation(true);
    Plan canonical = plan(base.withKinds(kinds), 32);
    // a post-validated kind wins here, with synchronous kinds among the runners-up
    assertThat(canonical.optimizerPostValidation()).isTrue();
    assertThat(canonical.runnersUp())
        .anyMatch(r -> !r.scheduleKind().allowsOptimizerPostValidation());
    String expected = PlanJson.write(canonical);
    assertThat(PlanJson.write(plan(base.withKinds(kinds).withThreads(1), 32)))
        .as("one thread")
        .isEqualTo(expected);
    SplittableRandom random = new SplittableRandom(SEED);
    for (int p = 0; p < 3; p++) {
      List<ScheduleKind> order = new ArrayList<>(kinds);
      for (int i = order.size() - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        ScheduleKind t = order.get(i);
        order.set(i, order.get(j));
        order.set(j, t);
      }
      assertThat(PlanJson.write(plan(base.withKinds(order), 32)))
          .as("seed %d, --schedules %s", SEED, order)
          .isEqualTo(expected);
    }
  }

  @Test
  void thePlanFileRoundTripsTheChoice() {
    Plan plan = plan(fixed(4, 8, ScheduleKind.ZB_AUTO).withOptimizerPostValidation(true), 16);
    String json = PlanJson.write(plan);
    assertThat(json).contains("\"optimizerPostValidation\" : true");
    Plan read = PlanJson.parse(json, "plan.json");
    assertThat(read).isEqualTo(plan);
    assertThat(PlanJson.write(read)).isEqualTo(json);
    // zb-auto's schedule is regenerated for the period, as the search generated it
    assertThat(PlanPrediction.schedule(read).deviceActions())
        .isEqualTo(PlanPrediction.schedule(plan).deviceActions());
    assertThat(PlanPrediction.steadyState(read).orElseThrow().periodNanos())
        .isEqualTo(plan.predicted().iterationNanos());
  }

  @Test
  void aHandEditedPlanWithABadValueIsRefusedNamingTheField() {
    Plan zb = plan(fixed(4, 8, ScheduleKind.ZB_H2).withOptimizerPostValidation(true), 16);
    String json = PlanJson.write(zb);
    String garbled =
        json.replace(
            "\"optimizerPostValidation\" : true", "\"optimizerPostValidation\" : \"maybe\"");
    assertThat(garbled).isNotEqualTo(json);
    assertThatThrownBy(() -> PlanJson.parse(garbled, "edited.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("edited.json")
        .hasMessageContaining("optimizerPostValidation")
        .hasMessageContaining("maybe");

    Plan oneFOneB = plan(fixed(4, 8, ScheduleKind.ONE_F_ONE_B), 16);
    String forced =
        PlanJson.write(oneFOneB)
            .replace(
                "\"formatVersion\" : 1,",
                "\"formatVersion\" : 1,\n  \"optimizerPostValidation\" : true,");
    assertThatThrownBy(() -> PlanJson.parse(forced, "edited.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("optimizerPostValidation is true")
        .hasMessageContaining("'1f1b'");
  }
}
