package dev.pipeplan.reports.html;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.SubLayers;
import dev.pipeplan.planner.ModelFlops;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanSummary;
import dev.pipeplan.planner.PredictedMetrics;
import dev.pipeplan.reports.chart.ByteUnit;
import dev.pipeplan.reports.chart.SearchPoint;
import dev.pipeplan.reports.summary.DeviceSummary;
import dev.pipeplan.reports.summary.Throughput;
import dev.pipeplan.reports.summary.TimelineSummary;
import dev.pipeplan.simulator.compare.ComparisonText;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Builds a {@link ReportContent} from a plan, its predicted timeline and, optionally, a measured
 * run of it. The report renders; it never regenerates or simulates a schedule: the caller hands it
 * the predicted timeline ({@code PlanPrediction.predictedTimeline}: with a run, the run's own
 * predicted timeline, as the executor compared it; else the plan's stored prediction replayed).
 */
public final class PlanReport {
  private PlanReport() {}

  /**
   * The report content of a plan.
   *
   * @param plan the plan
   * @param planJson the plan file's text, copied into the report (empty: none)
   * @param predicted the plan's predicted timeline
   * @param run a measured run of the plan, if any
   */
  public static ReportContent content(
      Plan plan, String planJson, Timeline predicted, Optional<MeasuredRun> run) {
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(predicted, "predicted");
    Objects.requireNonNull(run, "run");
    run.ifPresent(r -> checkRunMatches(plan, r));
    Optional<Timeline> measured = run.map(MeasuredRun::representative);
    int p = plan.parallelism().pp();
    if (predicted.deviceCount() != p) {
      throw new BadInputException(
          "the run's predicted timeline has "
              + predicted.deviceCount()
              + " devices but the plan has pp="
              + p
              + ". Maybe the run is of another plan.");
    }
    measured.ifPresent(
        m -> {
          if (m.deviceCount() != p) {
            throw new BadInputException(
                "the measured run has "
                    + m.deviceCount()
                    + " devices but the plan has pp="
                    + p
                    + ". Maybe the run is of another plan.");
          }
        });
    PredictedMetrics metrics = plan.predicted();
    long limit = metrics.memoryLimitBytes();
    List<Long> limits = Collections.nCopies(p, limit);
    TimelineSummary predictedSummary = TimelineSummary.of(predicted);
    Optional<TimelineSummary> measuredSummary = measured.map(TimelineSummary::of);

    List<ReportContent.DeviceRow> devices = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      List<Integer> stages = new ArrayList<>();
      List<String> layers = new ArrayList<>();
      for (int s = 0; s < plan.stageToDevice().size(); s++) {
        if (plan.stageToDevice().get(s) == d) {
          stages.add(s);
          int first = plan.partition().firstLayer(s);
          int end = plan.partition().endLayer(s);
          layers.add(end - first == 1 ? Integer.toString(first) : first + "-" + (end - 1));
        }
      }
      DeviceSummary ds = predictedSummary.devices().get(d);
      long peak = peakOf(metrics, d, ds.peakMemoryBytes());
      final int device = d;
      long measuredBusy = measuredSummary.map(m -> m.devices().get(device).busyNanos()).orElse(-1L);
      devices.add(
          new ReportContent.DeviceRow(
              d,
              join(stages),
              String.join(", ", layers),
              ds.busyNanos(),
              measuredBusy,
              peak,
              limit));
    }

    List<ReportContent.Row> summary = new ArrayList<>();
    summary.add(
        row("model", plan.model().name() + " (" + plan.model().layers().size() + " layers)"));
    summary.add(
        row("cluster", plan.cluster().name() + " (" + plan.cluster().deviceCount() + " devices)"));
    summary.add(row("parallelism", plan.parallelism().toString()));
    summary.add(
        row(
            "schedule",
            plan.scheduleKind()
                + (plan.virtualStages() > 1 ? ", v=" + plan.virtualStages() : "")
                + (plan.groupSize() > 0 ? ", group size " + plan.groupSize() : "")
                + (plan.maxInFlightMicroBatches() > 0
                    ? ", at most " + plan.maxInFlightMicroBatches() + " micro-batches in flight"
                    : "")));
    summary.add(
        row(
            "micro-batches",
            "m="
                + plan.microBatchCount()
                + " of b="
                + plan.microBatchSize()
                + " samples; global batch "
                + plan.training().globalBatch()));
    summary.add(
        row(
            "memory assumptions",
            plan.training()
                .describeMemoryModes(
                    plan.parallelism().dp(), plan.parallelism().tp(), plan.parallelism().cp())));
    boolean pieces = SubLayers.hasPieces(plan.model());
    summary.add(
        row(
            pieces ? "partition (pieces per stage)" : "partition (layers per stage)",
            PartitionText.runs(plan.partition().toString())
                + " ("
                + plan.partition().stageCount()
                + " stages, "
                + plan.partition().layerCount()
                + (pieces
                    ? " pieces: blocks cut inside and the LM head in vocabulary slices, from "
                        + SubLayers.wholeLayerCount(plan.model())
                        + " layers; a planning mode, which export and run refuse)"
                    : " layers)")));
    String synchronousParts =
        "pipeline "
            + ms(metrics.pipelineNanos())
            + " + data-parallel sync "
            + ms(metrics.dataParallelSyncNanos())
            + " + optimizer step "
            + ms(metrics.optimizerStepNanos());
    summary.add(
        row(
            "predicted iteration",
            plan.optimizerPostValidation()
                ? ms(metrics.iterationNanos())
                    + " ms, the steady-state period of back-to-back iterations with the optimizer"
                    + " step post-validated (one synchronous iteration: "
                    + synchronousParts
                    + " ms)"
                : ms(metrics.iterationNanos()) + " ms = " + synchronousParts));
    summary.add(
        row(
            "optimizer step",
            plan.optimizerPostValidation()
                ? "post-validated (the Zero Bubble code's --enable-optimizer-post-validation): each"
                    + " device steps after its own last action; the timeline below is one iteration"
                : "synchronous, after every device's last action"));
    String bubble = String.format(Locale.ROOT, "%.1f%%", 100 * metrics.bubbleRatio());
    if (plan.optimizerPostValidation()) {
      // the ranked table's bubble of a post-validated kind is the steady state's (the plan file's
      // runnersUp, winner first); this one is the synchronous pipeline's: say which is which
      bubble += " of one synchronous iteration (the timeline below)";
      if (!plan.runnersUp().isEmpty() && plan.runnersUp().get(0).rank() == 1) {
        bubble +=
            String.format(
                Locale.ROOT,
                "; %.1f%% of the steady-state period, as in the table below",
                100 * plan.runnersUp().get(0).bubbleRatio());
      }
    }
    summary.add(row("bubble", bubble));
    summary.add(row("costed by", plan.provenance().costSource()));
    summary.add(row("search", plan.provenance().searchOptions()));
    summary.add(row("made by", "pipeplan " + plan.provenance().pipeplanVersion()));
    summary.add(
        row(
            "throughput",
            Throughput.samplesPerSecond(metrics.throughputSamplesPerSecond())
                + (metrics.throughputTokensPerSecond() > 0
                    ? String.format(
                        Locale.ROOT, ", %.0f tokens/s", metrics.throughputTokensPerSecond())
                    : "")));
    ModelFlops flops =
        ModelFlops.of(
            plan.model(),
            plan.training().globalBatch(),
            plan.cluster(),
            plan.training().dtype(),
            metrics.iterationNanos());
    summary.add(
        row(
            "model FLOPs",
            flops.describe(plan.training())
                + (flops.known()
                    ? " (3 × the forward's FLOPs over the global batch, recomputation not counted)"
                    : "")));
    summary.add(
        row(
            "peak memory",
            ByteUnit.format(metrics.peakMemoryBytes())
                + " of "
                + ByteUnit.format(limit)
                + " per device"));
    summary.add(row("search", plan.search().summary()));

    List<ReportContent.Candidate> candidates = new ArrayList<>();
    for (PlanSummary s : plan.runnersUp()) {
      candidates.add(
          new ReportContent.Candidate(
              s.rank(),
              s.scheduleKind().id(),
              s.parallelism().toString(),
              s.microBatchSize(),
              s.microBatchCount(),
              s.virtualStages(),
              PartitionText.runs(s.partition()),
              s.iterationNanos(),
              s.bubbleRatio(),
              s.peakMemoryBytes()));
    }

    List<ReportContent.Row> runDetails = new ArrayList<>();
    run.ifPresent(
        r -> {
          runDetails.add(
              row(
                  "run",
                  r.iterations().size()
                      + " measured iterations after "
                      + r.warmupIterations()
                      + " warm-up; compared: iteration "
                      + r.representativeNumber()
                      + " (median time)"));
          runDetails.add(
              row(
                  "backend",
                  r.backend() + (r.threadSettings().isEmpty() ? "" : ", " + r.threadSettings())));
          if (!r.machine().isEmpty()) {
            runDetails.add(row("machine", r.machine()));
          }
          r.errorInterval()
              .ifPresent(
                  ci ->
                      runDetails.add(
                          row(
                              "iteration error interval",
                              "95% bootstrap interval "
                                  + ci.text()
                                  + " over "
                                  + ci.iterations()
                                  + " iterations: "
                                  + (ci.withinNoise() ? "within noise" : "outside the noise"))));
          r.cpuComparison()
              .ifPresent(
                  cpu ->
                      runDetails.add(
                          row(
                              "per-action error on CPU time",
                              String.format(
                                  java.util.Locale.ROOT,
                                  "median %.1f%%, p90 %.1f%% (each action timed by its thread's CPU"
                                      + " time: the time other processes held the core left out)",
                                  100 * cpu.medianActionError(),
                                  100 * cpu.p90ActionError()))));
          if (r.noise().known()) {
            runDetails.add(
                row(
                    "machine noise",
                    ComparisonText.noiseLine(r.noise())
                        .substring("machine noise".length())
                        .trim()));
          }
          for (String warning : r.comparisonWarnings()) {
            runDetails.add(row("WARNING", warning));
          }
        });

    String title = "pipeplan report: " + plan.model().name() + " on " + plan.cluster().name();
    return new ReportContent(
        title,
        summary,
        devices,
        plan.reason(),
        candidates,
        searchPoints(plan),
        limits,
        predicted,
        measured,
        runDetails,
        planJson,
        plan.search().candidatesSimulated(),
        run.map(MeasuredRun::comparisonExcused).orElse(false),
        run.map(MeasuredRun::iterations).orElse(List.of()));
  }

  /**
   * The ranked candidates and the Pareto set as search-chart points, each candidate once; the
   * winner (rank 1, or the entry equal to the plan) is marked chosen.
   */
  static List<SearchPoint> searchPoints(Plan plan) {
    TreeMap<String, SearchPoint> points = new TreeMap<>();
    long limit = plan.predicted().memoryLimitBytes();
    List<PlanSummary> all = new ArrayList<>(plan.runnersUp());
    all.addAll(plan.pareto());
    for (PlanSummary s : all) {
      String key =
          s.scheduleKind()
              + "|"
              + s.parallelism()
              + "|"
              + s.microBatchSize()
              + "|"
              + s.microBatchCount()
              + "|"
              + s.virtualStages()
              + "|"
              + s.partition();
      boolean chosen =
          s.scheduleKind().equals(plan.scheduleKind())
              && s.parallelism().equals(plan.parallelism())
              && s.microBatchSize() == plan.microBatchSize()
              && s.microBatchCount() == plan.microBatchCount()
              && s.virtualStages() == plan.virtualStages()
              && s.partition().equals(plan.partition().toString());
      SearchPoint point =
          new SearchPoint(
              s.scheduleKind().id(),
              s.microBatchCount(),
              s.iterationNanos(),
              s.peakMemoryBytes(),
              s.peakMemoryBytes() <= limit,
              chosen);
      points.merge(key, point, (a, b) -> a.chosen() ? a : b);
    }
    return new ArrayList<>(points.values());
  }

  /**
   * A run of another plan would compare unrelated timelines: its schedule, p, v and m must be the
   * plan's, and so must its model, micro-batch size, partition and sequence length.
   */
  static void checkRunMatches(Plan plan, MeasuredRun run) {
    String planShape =
        plan.scheduleKind()
            + " with pp="
            + plan.parallelism().pp()
            + ", v="
            + plan.virtualStages()
            + ", m="
            + plan.microBatchCount();
    String runShape =
        run.scheduleName()
            + " with pp="
            + run.pipelineDevices()
            + ", v="
            + run.virtualStages()
            + ", m="
            + run.microBatchCount();
    if (!planShape.equals(runShape)) {
      throw new BadInputException(
          "the measured run is "
              + runShape
              + " but the plan is "
              + planShape
              + ". Maybe pass the run that 'pipeplan run' wrote for this plan.");
    }
    String[][] fields = {
      {"modelName", plan.model().name(), run.modelName()},
      {
        "microBatchSize",
        Integer.toString(plan.microBatchSize()),
        Integer.toString(run.microBatchSize())
      },
      {"partition", plan.partition().toString(), run.partition()},
      // a run file written before the length was recorded says 0
      {
        "sequenceLength",
        Integer.toString(run.sequenceLength() == 0 ? 0 : plan.training().sequenceLength()),
        Integer.toString(run.sequenceLength())
      }
    };
    for (String[] f : fields) {
      if (!f[1].equals(f[2])) {
        throw new BadInputException(
            "the measured run's "
                + f[0]
                + " is '"
                + f[2]
                + "' but the plan's is '"
                + f[1]
                + "'. Maybe pass the run that 'pipeplan run' wrote for this plan.");
      }
    }
  }

  private static long peakOf(PredictedMetrics metrics, int device, long fallback) {
    for (DeviceMetrics m : metrics.devices()) {
      if (m.device() == device) {
        return m.peakMemoryBytes();
      }
    }
    return fallback;
  }

  private static String join(List<Integer> values) {
    StringBuilder b = new StringBuilder();
    for (int v : values) {
      b.append(b.length() == 0 ? "" : ", ").append(v);
    }
    return b.toString();
  }

  private static ReportContent.Row row(String label, String value) {
    return new ReportContent.Row(label, value);
  }

  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
  }
}
