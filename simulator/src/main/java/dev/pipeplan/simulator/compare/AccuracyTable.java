package dev.pipeplan.simulator.compare;

import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Several measured runs of one model, one row each, as a Markdown table of predicted against
 * measured iteration time (docs/accuracy.md is made of these), with the machine and its load before
 * and after. Each row also gives the fastest and slowest measured iteration, so a reader sees how
 * much of the error is the machine's noise.
 */
public final class AccuracyTable {
  private final String modelName;
  private final String machine;
  private final String loadBefore;
  private final List<String> rows = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private String loadAfter = "";

  public AccuracyTable(String modelName, String machine, String loadBefore) {
    this.modelName = Objects.requireNonNull(modelName, "modelName");
    this.machine = Objects.requireNonNull(machine, "machine");
    this.loadBefore = Objects.requireNonNull(loadBefore, "loadBefore");
  }

  /**
   * Adds a run's row.
   *
   * @param gradientDifference the largest relative gradient difference from the sequential run
   */
  public void add(MeasuredRun run, double gradientDifference) {
    Comparison c = run.comparison();
    long fastest = Long.MAX_VALUE;
    long slowest = 0;
    for (Timeline iteration : run.iterations()) {
      fastest = Math.min(fastest, iteration.makespanNanos());
      slowest = Math.max(slowest, iteration.makespanNanos());
    }
    rows.add(
        String.format(
            Locale.ROOT,
            "| %s | %d | %d | %d | %d | %s | %.2f | %.2f | %.0f–%.0f | %+.1f%% | %s | %.1f%% | %.1f%% | %s | %.3f | %.3f | %s | %s | %s | %.1e |",
            run.scheduleName(),
            run.pipelineDevices(),
            run.virtualStages(),
            run.microBatchCount(),
            run.microBatchSize(),
            run.partition(),
            c.predictedIterationNanos() / 1e6,
            c.measuredIterationNanos() / 1e6,
            fastest / 1e6,
            slowest / 1e6,
            100 * c.iterationError(),
            run.errorInterval()
                .map(ci -> ci.text() + (ci.withinNoise() ? " within noise" : ""))
                .orElse("–"),
            100 * c.medianActionError(),
            100 * c.p90ActionError(),
            run.cpuComparison()
                .map(
                    cpu ->
                        String.format(
                            Locale.ROOT,
                            "%.1f%% / %.1f%%",
                            100 * cpu.medianActionError(),
                            100 * cpu.p90ActionError()))
                .orElse("–"),
            c.predictedBubbleRatio(),
            c.measuredBubbleRatio(),
            wallOverCpu(run.noise()),
            otherCores(run.noise()),
            slowEpisodes(run.noise()),
            gradientDifference));
    if (run.noise().busy()) {
      warnings.add(run.scheduleName() + ": " + run.noise().warning());
    }
  }

  private static String wallOverCpu(RunNoise noise) {
    if (!noise.known() || !noise.cpuTimeComparable()) {
      return "–";
    }
    return String.format(Locale.ROOT, "%+.0f%%", 100 * noise.worstWaitingShare());
  }

  private static String otherCores(RunNoise noise) {
    if (noise.otherProcessCores() < 0) {
      return "–";
    }
    return String.format(Locale.ROOT, "%.1f of %d", noise.otherProcessCores(), noise.cores());
  }

  /**
   * Measured iterations run in slow episodes of the machine: "2 of 7 replaced (+31%)", "1 of 5 kept
   * (+18%)", "0 of 5"; "–" when the run was not probed.
   */
  private static String slowEpisodes(RunNoise noise) {
    if (noise.iterationSlowdowns().isEmpty()) {
      return "–";
    }
    if (noise.slowIterations() == 0) {
      return String.format(Locale.ROOT, "0 of %d", noise.iterationSlowdowns().size());
    }
    return String.format(
        Locale.ROOT,
        "%d of %d %s (+%.0f%%)",
        noise.slowIterations(),
        noise.iterationSlowdowns().size(),
        noise.unsteady() ? "kept" : "replaced",
        100 * noise.worstSlowdown());
  }

  public void finish(String loadAfterText) {
    this.loadAfter = Objects.requireNonNull(loadAfterText, "loadAfterText");
  }

  public String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("Model ").append(modelName).append("; machine: ").append(machine).append('\n');
    b.append("Load average (1, 5, 15 min) before: ").append(loadBefore);
    if (!loadAfter.isEmpty()) {
      b.append("; after: ").append(loadAfter);
    }
    b.append("\n\n");
    b.append(
        "| schedule | pp | v | m | b | partition | predicted ms | measured ms | measured range ms | error"
            + " | error 95% interval | action error median | action error p90"
            + " | action error on CPU time median / p90 | bubble predicted | bubble measured"
            + " | wall over CPU | other processes (cores) | slow episodes | gradient difference |\n");
    b.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (String row : rows) {
      b.append(row).append('\n');
    }
    for (String warning : warnings) {
      b.append('\n').append("WARNING: ").append(warning).append('\n');
    }
    return b.toString();
  }
}
