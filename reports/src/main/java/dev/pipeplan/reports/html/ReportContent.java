package dev.pipeplan.reports.html;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.reports.chart.SearchPoint;
import dev.pipeplan.simulator.compare.Comparison;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the HTML report shows, already computed: {@link PlanReport} builds it from a plan (and
 * a measured run), and tests build it by hand.
 *
 * @param title the page's heading
 * @param summary the plan in brief, one labelled value per row, in display order
 * @param devices one row per pipeline device
 * @param reason why this plan was chosen (may be empty)
 * @param candidates the ranked candidates, the chosen one first (may be empty)
 * @param searchPoints the candidates as the search charts plot them (may be empty: no search
 *     charts)
 * @param memoryLimitBytes each pipeline device's memory limit, one per device (or empty: none
 *     drawn)
 * @param predicted the predicted timeline
 * @param measured the measured timeline of the same plan, when there is one
 * @param runDetails where and how the measured run ran, one labelled value per row (empty without a
 *     run)
 * @param planJson the plan file's text, copied into the report as plan.json (empty: no copy)
 * @param simulatedCandidates how many candidates the search simulated, of which {@code
 *     searchPoints} are the ones the plan kept (0: not known)
 * @param comparisonExcused whether the measured run's error is not the cost model's (a busy
 *     machine, a prediction for another device: the run's warnings say which)
 * @param measuredIterations every measured iteration of the run, {@code measured} among them: the
 *     comparison takes each action's duration as the median over them (empty: {@code measured}'s
 *     own)
 */
public record ReportContent(
    String title,
    List<Row> summary,
    List<DeviceRow> devices,
    String reason,
    List<Candidate> candidates,
    List<SearchPoint> searchPoints,
    List<Long> memoryLimitBytes,
    Timeline predicted,
    Optional<Timeline> measured,
    List<Row> runDetails,
    String planJson,
    long simulatedCandidates,
    boolean comparisonExcused,
    List<Timeline> measuredIterations) {

  public ReportContent {
    Checks.nonBlank("report title", title);
    summary = List.copyOf(Objects.requireNonNull(summary, "summary"));
    devices = List.copyOf(Objects.requireNonNull(devices, "devices"));
    reason = Objects.requireNonNullElse(reason, "");
    candidates = List.copyOf(Objects.requireNonNull(candidates, "candidates"));
    searchPoints = List.copyOf(Objects.requireNonNull(searchPoints, "searchPoints"));
    memoryLimitBytes = List.copyOf(Objects.requireNonNull(memoryLimitBytes, "memoryLimitBytes"));
    Objects.requireNonNull(predicted, "predicted");
    Objects.requireNonNull(measured, "measured");
    int p = predicted.deviceCount();
    if (!memoryLimitBytes.isEmpty() && memoryLimitBytes.size() != p) {
      throw new BadInputException(
          "report has memory limits for "
              + memoryLimitBytes.size()
              + " devices but the predicted timeline has "
              + p);
    }
    if (measured.isPresent() && measured.get().deviceCount() != p) {
      throw new BadInputException(
          "the measured timeline has "
              + measured.get().deviceCount()
              + " devices but the predicted one has "
              + p
              + ". Maybe the run is of another plan.");
    }
    runDetails = List.copyOf(Objects.requireNonNull(runDetails, "runDetails"));
    planJson = Objects.requireNonNullElse(planJson, "");
    Checks.nonNegative("simulatedCandidates", simulatedCandidates);
    measuredIterations =
        List.copyOf(Objects.requireNonNull(measuredIterations, "measuredIterations"));
  }

  /**
   * The comparison of the measured timeline with the predicted one, when there is a measured
   * timeline.
   */
  public Optional<Comparison> comparison() {
    return measured.map(m -> Comparison.of(predicted, m, measuredIterations));
  }

  /**
   * A labelled value.
   *
   * @param label what it is
   * @param value its display text
   */
  public record Row(String label, String value) {
    public Row {
      Checks.nonBlank("row label", label);
      Objects.requireNonNull(value, "value");
    }
  }

  /**
   * One pipeline device in the plan.
   *
   * @param device the pipeline device
   * @param stages its global virtual stages, "0, 4"
   * @param layers its layers, "0-5, 24-29"
   * @param predictedBusyNanos predicted busy time per iteration
   * @param measuredBusyNanos measured busy time per iteration, -1 without a measured run
   * @param peakMemoryBytes predicted peak memory
   * @param memoryLimitBytes the device's memory limit
   */
  public record DeviceRow(
      int device,
      String stages,
      String layers,
      long predictedBusyNanos,
      long measuredBusyNanos,
      long peakMemoryBytes,
      long memoryLimitBytes) {
    public DeviceRow {
      Checks.nonNegative("device", device);
      Objects.requireNonNull(stages, "stages");
      Objects.requireNonNull(layers, "layers");
    }
  }

  /**
   * One ranked candidate of the search.
   *
   * @param rank 1 for the chosen plan
   * @param scheduleKind the schedule kind's id
   * @param parallelism "pp=4 dp=2 tp=1"
   * @param microBatchSize b
   * @param microBatchCount m
   * @param virtualStages v
   * @param partition layers per stage, "3,3,2,2"
   * @param iterationNanos predicted iteration time
   * @param bubbleRatio predicted bubble ratio
   * @param peakMemoryBytes predicted peak memory
   */
  public record Candidate(
      int rank,
      String scheduleKind,
      String parallelism,
      int microBatchSize,
      int microBatchCount,
      int virtualStages,
      String partition,
      long iterationNanos,
      double bubbleRatio,
      long peakMemoryBytes) {
    public Candidate {
      Checks.positive("candidate rank", rank);
      Checks.nonBlank("candidate scheduleKind", scheduleKind);
      Objects.requireNonNull(parallelism, "parallelism");
      Objects.requireNonNull(partition, "partition");
    }
  }
}
