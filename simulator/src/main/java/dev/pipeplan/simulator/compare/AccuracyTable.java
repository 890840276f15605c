package dev.pipeplan.simulator.compare;

import dev.pipeplan.simulator.engine.Jitter;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

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

  /**
   * A run whose speed probe differs from the reference by more than this ran on a machine faster or
   * slower than the one the prediction describes.
   */
  public static final double SPEED_SHIFT_MARGIN = 0.05;

  private final List<String> rows = new ArrayList<>();
  private final List<String> names = new ArrayList<>();
  private final List<Long> probes = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private String loadAfter = "";
  private long referenceProbeNanos;
  private String referenceName = "the median of these runs";

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
    add(run, gradientDifference, Optional.empty());
  }

  /**
   * Adds a run's row with its prediction under jitter ({@link Jitter}: the median iteration with
   * every action's duration varying as the calibration's runs showed) and that prediction's error.
   */
  public void add(MeasuredRun run, double gradientDifference, Optional<Jitter.Spread> jitter) {
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
            "| %s | %d | %d | %d | %d | %s | %.2f | %.2f | %.0f–%.0f | %+.1f%% | %s | %.1f%% | %.1f%% | %s | %.3f | %.3f | %s | %s | %s | %.1e | %s |",
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
            gradientDifference,
            jitter
                .map(
                    j ->
                        String.format(
                            Locale.ROOT,
                            "%.2f (%+.1f%%)",
                            j.medianNanos() / 1e6,
                            100 * ((double) j.medianNanos() / c.measuredIterationNanos() - 1)))
                .orElse("–")));
    names.add(run.scheduleName());
    probes.add(run.noise().probeMedianNanos());
    for (String warning : run.comparisonWarnings()) {
      warnings.add(run.scheduleName() + ": " + warning);
    }
  }

  /**
   * Compares each run's machine speed (its speed probe's median) with {@code probeNanos}, the speed
   * of the runs a prediction was fitted on ("the runs the calibration was fitted on"), instead of
   * the median of this table's own runs.
   */
  public void compareSpeedWith(long probeNanos, String name) {
    this.referenceProbeNanos = probeNanos;
    this.referenceName = Objects.requireNonNull(name, "name");
  }

  /** The median of the runs' speed probes (0 when none was probed). */
  public static long medianProbe(List<MeasuredRun> runs) {
    return median(runs.stream().map(r -> r.noise().probeMedianNanos()).toList());
  }

  private long reference() {
    return referenceProbeNanos > 0 ? referenceProbeNanos : median(probes);
  }

  /** The lower median of the positive values; 0 when there is none. */
  private static long median(List<Long> values) {
    List<Long> probed = new ArrayList<>(values.stream().filter(v -> v > 0).toList());
    probed.sort(null);
    return probed.isEmpty() ? 0 : probed.get((probed.size() - 1) / 2);
  }

  /** "+9% slower", "-4% faster", "+0%"; "–" without probes. */
  private static String speedShift(long probe, long reference) {
    if (probe <= 0 || reference <= 0) {
      return "–";
    }
    double shift = (double) probe / reference - 1;
    String word = Math.abs(shift) < 0.005 ? "" : shift > 0 ? " slower" : " faster";
    return String.format(Locale.ROOT, "%+.0f%%%s", 100 * shift, word);
  }

  private static String wallOverCpu(RunNoise noise) {
    if (!noise.known() || !noise.cpuTimeComparable()) {
      return "–";
    }
    return String.format(Locale.ROOT, "%+.0f%%", 100 * noise.worstWaitingShare());
  }

  /** "0.3 of 2", with the host's share when known: "0.0 of 2, host 12%". */
  private static String otherCores(RunNoise noise) {
    String host =
        noise.stealFraction() < 0
            ? ""
            : String.format(Locale.ROOT, "host %.0f%%", 100 * noise.stealFraction());
    if (noise.otherProcessCores() < 0) {
      return host.isEmpty() ? "–" : host;
    }
    String others =
        String.format(Locale.ROOT, "%.1f of %d", noise.otherProcessCores(), noise.cores());
    return host.isEmpty() ? others : others + ", " + host;
  }

  /**
   * Measured iterations run in slow episodes of the machine: "2 of 7 replaced (+31%)", "1 of 5 kept
   * (+18%)", "0 of 5", with the probe's largest slowdown, and the iterations' own actions' when
   * they were recorded ("2 of 7 replaced (+3%, actions +12%)"); "–" when the run was not probed.
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
        "%d of %d %s (+%.0f%%%s)",
        noise.slowIterations(),
        noise.iterationSlowdowns().size(),
        noise.unsteady() ? "kept" : "replaced",
        100 * noise.worstSlowdown(),
        noise.iterationPaceSlowdowns().isEmpty()
            ? ""
            : String.format(Locale.ROOT, ", actions +%.0f%%", 100 * noise.worstPaceSlowdown()));
  }

  /**
   * Notes that {@code schedule}'s row is a run measured again after attempts on a busy machine,
   * each with its warning; nothing when {@code busyWarnings} is empty.
   */
  public void measuredAgain(String schedule, List<String> busyWarnings) {
    for (int i = 0; i < busyWarnings.size(); i++) {
      notes.add(
          String.format(
              Locale.ROOT,
              "%s: attempt %d of %d was not kept (%s)",
              schedule,
              i + 1,
              busyWarnings.size() + 1,
              busyWarnings.get(i)));
    }
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
            + " | wall over CPU | other processes (cores), host steal | slow episodes | gradient difference"
            + " | predicted with jitter ms (error) | machine speed vs "
            + referenceName
            + " |\n");
    b.append(
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    long reference = reference();
    List<String> speedWarnings = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      b.append(rows.get(i)).append(' ').append(speedShift(probes.get(i), reference)).append(" |\n");
      if (probes.get(i) > 0 && reference > 0) {
        double shift = (double) probes.get(i) / reference - 1;
        if (Math.abs(shift) > SPEED_SHIFT_MARGIN) {
          speedWarnings.add(
              String.format(
                  Locale.ROOT,
                  "%s: the machine ran %.0f%% %s than %s (the speed probe: a fixed GEMM timed"
                      + " between iterations); that part of the error is the machine's, not the"
                      + " model's",
                  names.get(i),
                  100 * Math.abs(shift),
                  shift > 0 ? "slower" : "faster",
                  referenceName));
        }
      }
    }
    List<String> allWarnings = new ArrayList<>(warnings);
    allWarnings.addAll(speedWarnings);
    for (String warning : allWarnings) {
      b.append('\n').append("WARNING: ").append(warning).append('\n');
    }
    for (String note : notes) {
      b.append('\n').append("MEASURED AGAIN: ").append(note).append('\n');
    }
    return b.toString();
  }
}
