package dev.pipeplan.reports.html;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.SubLayers;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.zoo.Zoo;
import dev.pipeplan.planner.ModelFlops;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.reports.ReportPlans;
import dev.pipeplan.reports.TestTimelines;
import dev.pipeplan.reports.chart.SearchPoint;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunNoise;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.timeline.Timeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanReportTest {
  @TempDir Path dir;

  /** The report of a plan with its own prediction and no measured run. */
  private static ReportContent predictedContent(Plan plan) {
    return PlanReport.content(
        plan,
        PlanJson.write(plan),
        PlanPrediction.predictedTimeline(plan, Optional.empty()),
        Optional.empty());
  }

  @Test
  void describesEachDeviceOfThePlan() {
    Plan plan = ReportPlans.fourStageOneFOneB();
    ReportContent content = predictedContent(plan);
    assertThat(content.devices()).hasSize(4);
    ReportContent.DeviceRow first = content.devices().get(0);
    assertThat(first.stages()).isEqualTo("0");
    assertThat(first.layers()).isEqualTo("0-1");
    assertThat(first.memoryLimitBytes()).isEqualTo(8 * ReportPlans.GIB);
    assertThat(first.peakMemoryBytes())
        .isEqualTo(plan.predicted().devices().get(0).peakMemoryBytes());
    assertThat(first.measuredBusyNanos()).isEqualTo(-1);
    // every device runs F, I and W of 1 ms for each of 8 micro-batches in the replayed prediction
    assertThat(content.devices())
        .allSatisfy(d -> assertThat(d.predictedBusyNanos()).isEqualTo(24_000_000));
    assertThat(content.predicted().actions()).hasSize(4 * 8 * 2);
    assertThat(content.reason()).contains("2.0 GiB less");
    assertThat(content.candidates())
        .extracting(ReportContent.Candidate::scheduleKind)
        .containsExactly("1f1b", "gpipe", "1f1b");
  }

  @Test
  void statesTheMemoryAssumptions() {
    Plan plan = ReportPlans.fourStageOneFOneB();
    ReportContent content = predictedContent(plan);
    assertThat(content.summary())
        .filteredOn(r -> r.label().equals("memory assumptions"))
        .singleElement()
        .satisfies(
            r ->
                assertThat(r.value())
                    .isEqualTo(
                        plan.training()
                            .describeMemoryModes(plan.parallelism().dp(), plan.parallelism().tp()))
                    .startsWith("attention "));
  }

  @Test
  void statesTheModelFlopsAsPlanDoes() {
    Plan plan = ReportPlans.fourStageOneFOneB();
    String expected =
        ModelFlops.of(
                plan.model(),
                plan.training().globalBatch(),
                plan.cluster(),
                plan.training().dtype(),
                plan.predicted().iterationNanos())
            .describe(plan.training().dtype());
    assertThat(predictedContent(plan).summary())
        .filteredOn(r -> r.label().equals("model FLOPs"))
        .singleElement()
        .satisfies(r -> assertThat(r.value()).startsWith(expected + " (3 × the forward's FLOPs"));
  }

  @Test
  void summarisesThePartitionAndCountsTheSimulatedCandidates() {
    Plan plan = ReportPlans.fourStageOneFOneB();
    ReportContent content = predictedContent(plan);
    assertThat(content.summary())
        .filteredOn(r -> r.label().startsWith("partition"))
        .singleElement()
        .satisfies(
            r ->
                assertThat(r.value())
                    .isEqualTo(
                        PartitionText.runs(plan.partition().toString())
                            + " (4 stages, "
                            + plan.partition().layerCount()
                            + " layers)"));
    assertThat(content.simulatedCandidates()).isEqualTo(plan.search().candidatesSimulated());
  }

  @Test
  void aPlanOfPiecesSaysSoAndThatItCannotBeExportedOrRun() {
    ModelSpec whole = Zoo.get("gpt-tiny");
    ModelSpec pieces = SubLayers.split(whole, SubLayers.Unit.SUBLAYER, 2);
    Plan plan =
        PlanBuilder.fromSearch(
            Planner.search(
                pieces,
                TrainingSpec.of(8, pieces.sequenceLength(), pieces.dtype()),
                Clusters.load("h100:1x2"),
                SearchOptions.defaults()
                    .withPp(2)
                    .withTp(1)
                    .withKinds(List.of(ScheduleKind.ONE_F_ONE_B)),
                ProgressListener.none()));
    ReportContent content = predictedContent(plan);
    assertThat(content.summary())
        .filteredOn(r -> r.label().startsWith("partition"))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.label()).isEqualTo("partition (pieces per stage)");
              assertThat(r.value())
                  .contains(pieces.layerCount() + " pieces")
                  .contains("from " + whole.layerCount() + " layers")
                  .contains("export and run refuse");
            });
  }

  @Test
  void marksTheChosenCandidateOnceAmongRankedAndParetoPoints() {
    List<SearchPoint> points = PlanReport.searchPoints(ReportPlans.fourStageOneFOneB());
    assertThat(points).hasSize(3);
    assertThat(points)
        .filteredOn(SearchPoint::chosen)
        .singleElement()
        .satisfies(p -> assertThat(p.kind()).isEqualTo("1f1b"))
        .satisfies(p -> assertThat(p.microBatchCount()).isEqualTo(8));
    assertThat(points).allSatisfy(p -> assertThat(p.feasible()).isTrue());
  }

  @Test
  void writesAReportWithTheComparisonOfAMatchingRun() throws Exception {
    Plan plan = ReportPlans.fourStageOneFOneB();
    Timeline predicted = predictedContent(plan).predicted();
    MeasuredRun run = run(plan, predicted, "1f1b");
    ReportContent content =
        PlanReport.content(
            plan,
            PlanJson.write(plan),
            PlanPrediction.predictedTimeline(plan, Optional.of(run)),
            Optional.of(run));
    assertThat(content.measured()).isPresent();
    assertThat(content.devices()).allSatisfy(d -> assertThat(d.measuredBusyNanos()).isPositive());
    HtmlReport.write(content, dir.resolve("r"));
    String html = Files.readString(dir.resolve("r/index.html"));
    assertThat(html).contains("report-test-8").contains("Predicted vs measured").contains("cpu");
    assertThat(Files.readString(dir.resolve("r/plan.json"))).isEqualTo(PlanJson.write(plan));
  }

  @Test
  void aBusyRunCarriesItsWarningIntoTheReport() throws Exception {
    Plan plan = ReportPlans.fourStageOneFOneB();
    Timeline predicted = predictedContent(plan).predicted();
    MeasuredRun r = run(plan, predicted, "1f1b");
    List<dev.pipeplan.simulator.compare.RunNoise.WorkerTime> workers = new java.util.ArrayList<>();
    for (int d = 0; d < 4; d++) {
      workers.add(new dev.pipeplan.simulator.compare.RunNoise.WorkerTime(d, 300, 100));
    }
    MeasuredRun busy =
        new MeasuredRun(
            r.modelName(),
            r.scheduleName(),
            r.pipelineDevices(),
            r.virtualStages(),
            r.microBatchCount(),
            r.microBatchSize(),
            r.partition(),
            r.predicted(),
            r.iterations(),
            r.representativeIteration(),
            r.losses(),
            r.warmupIterations(),
            r.backend(),
            r.machine(),
            r.threadSettings(),
            r.seed(),
            List.of(),
            new dev.pipeplan.simulator.compare.RunNoise(
                workers, 2, "1.0 1.0 1.0", "3.9 1.5 1.1", 1.9, 0.0, true),
            Provenance.unrecorded(),
            0);
    HtmlReport.write(
        PlanReport.content(
            plan, "", PlanPrediction.predictedTimeline(plan, Optional.of(busy)), Optional.of(busy)),
        dir.resolve("busy"));
    String html = Files.readString(dir.resolve("busy/index.html"));
    assertThat(html)
        .contains("WARNING")
        .contains("the machine was busy: 1.9 of 2 cores taken by other processes")
        .contains("machine noise");
  }

  @Test
  void rejectsARunOfAnotherSchedule() {
    Plan plan = ReportPlans.fourStageOneFOneB();
    Timeline predicted = predictedContent(plan).predicted();
    assertThatThrownBy(
            () ->
                PlanReport.content(plan, "", predicted, Optional.of(run(plan, predicted, "gpipe"))))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("gpipe with pp=4")
        .hasMessageContaining("1f1b with pp=4");
  }

  @Test
  void rejectsARunAtAnotherSequenceLength() {
    Plan plan = ReportPlans.fourStageOneFOneB();
    Timeline predicted = predictedContent(plan).predicted();
    MeasuredRun run = run(plan, predicted, "1f1b");
    assertThatCode(() -> PlanReport.checkRunMatches(plan, run)).doesNotThrowAnyException();
    assertThatCode(() -> PlanReport.checkRunMatches(plan, run.withSequenceLength(128)))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> PlanReport.checkRunMatches(plan, run.withSequenceLength(32)))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "the measured run's sequenceLength is '32' but the plan's is '128'. Maybe pass the run"
                + " that 'pipeplan run' wrote for this plan.");
  }

  private static MeasuredRun run(Plan plan, Timeline predicted, String schedule) {
    Timeline measured = TestTimelines.measured(4, 8, 0, 1);
    // a run is consistent with itself (its timelines are of its schedule), whatever the plan's
    Timeline own =
        new Timeline(
            predicted.source(),
            schedule,
            predicted.deviceCount(),
            predicted.actions(),
            predicted.transfers(),
            predicted.memory());
    return new MeasuredRun(
        plan.model().name(),
        schedule,
        4,
        1,
        8,
        1,
        "2,2,2,2",
        own,
        List.of(measured),
        0,
        List.of(2.5),
        1,
        "cpu",
        "test machine",
        "OMP_NUM_THREADS=1",
        42,
        List.of(),
        RunNoise.unknown(),
        Provenance.unrecorded(),
        0);
  }
}
