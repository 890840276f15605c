package dev.pipeplan.simulator.compare;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A measured run's comparison with its prediction as a few lines of text, for terminals and logs.
 */
public final class ComparisonText {
  private ComparisonText() {}

  public static List<String> lines(MeasuredRun run) {
    Objects.requireNonNull(run, "run");
    Comparison c = run.comparison();
    List<String> out = new ArrayList<>();
    out.add(
        String.format(
            Locale.ROOT,
            "%s, %s, pp %d, v %d, m %d, b %d, partition %s",
            run.modelName(),
            run.scheduleName(),
            run.pipelineDevices(),
            run.virtualStages(),
            run.microBatchCount(),
            run.microBatchSize(),
            run.partition()));
    out.add(
        String.format(
            Locale.ROOT,
            "iteration time   predicted %10.3f ms   measured %10.3f ms   error %+.1f%%",
            c.predictedIterationNanos() / 1e6,
            c.measuredIterationNanos() / 1e6,
            100 * c.iterationError()));
    out.add(
        run.errorInterval()
            .map(
                ci ->
                    String.format(
                        Locale.ROOT,
                        "iteration error  %.0f%% bootstrap interval %s over %d iterations: %s",
                        100 * ci.level(),
                        ci.text(),
                        ci.iterations(),
                        ci.withinNoise() ? "within noise" : "outside the noise"))
            .orElse(
                "iteration error  no interval: fewer than "
                    + ErrorInterval.MIN_ITERATIONS
                    + " measured iterations (use --iterations "
                    + ErrorInterval.MIN_ITERATIONS
                    + " or more)"));
    out.add(
        String.format(
            Locale.ROOT,
            "per-action error median %.1f%%, p90 %.1f%% (%d actions matched%s; each action's"
                + " duration the median over the %d measured iteration%s)",
            100 * c.medianActionError(),
            100 * c.p90ActionError(),
            c.actions().size(),
            c.unmatchedActions() == 0 ? "" : ", " + c.unmatchedActions() + " unmatched",
            run.iterations().size(),
            run.iterations().size() == 1 ? "" : "s"));
    run.cpuComparison()
        .ifPresent(
            cpu ->
                out.add(
                    String.format(
                        Locale.ROOT,
                        "per-action error on thread CPU time median %.1f%%, p90 %.1f%% (what the"
                            + " actions cost with the time other processes held the core left out)",
                        100 * cpu.medianActionError(),
                        100 * cpu.p90ActionError())));
    out.add(
        String.format(
            Locale.ROOT,
            "bubble ratio     predicted %.3f   measured %.3f",
            c.predictedBubbleRatio(),
            c.measuredBubbleRatio()));
    if (c.mostDriftedStage() >= 0) {
      out.add(
          String.format(
              Locale.ROOT,
              "most drifted     stage %d: measured/predicted %.2f",
              c.mostDriftedStage(),
              c.mostDriftedRatio()));
    }
    out.add(
        String.format(
            Locale.ROOT,
            "iterations       %d measured after %d warm-up; compared: iteration %d (median time); loss %.4f"
                + " -> %.4f",
            run.iterations().size(),
            run.warmupIterations(),
            run.representativeNumber(),
            run.losses().get(0),
            run.losses().get(run.losses().size() - 1)));
    RunNoise noise = run.noise();
    if (noise.known()) {
      out.add(noiseLine(noise));
    }
    for (String warning : run.comparisonWarnings()) {
      out.add("WARNING: " + warning);
    }
    return out;
  }

  /** "machine noise wall over CPU time per worker +2% +3%; other processes 0.1 of 2 cores; ...". */
  public static String noiseLine(RunNoise noise) {
    StringBuilder b = new StringBuilder("machine noise    wall over CPU time per worker");
    for (RunNoise.WorkerTime w : noise.workers()) {
      b.append(String.format(Locale.ROOT, " %+.0f%%", 100 * w.waitingShare()));
    }
    if (!noise.cpuTimeComparable()) {
      b.append(" (not comparable: more than one native thread per worker)");
    }
    if (noise.otherProcessCores() >= 0) {
      b.append(
          String.format(
              Locale.ROOT,
              "; other processes %.1f of %d cores",
              noise.otherProcessCores(),
              noise.cores()));
    }
    if (noise.stealFraction() >= 0) {
      b.append(String.format(Locale.ROOT, "; steal %.1f%%", 100 * noise.stealFraction()));
    }
    b.append("; load ")
        .append(noise.loadAverageBefore())
        .append(" -> ")
        .append(noise.loadAverageAfter());
    if (!noise.iterationSlowdowns().isEmpty()) {
      b.append("; ")
          .append(
              noise.slowIterations() == 0
                  ? "no slow episodes in " + noise.iterationSlowdowns().size() + " iterations"
                  : noise.slowEpisodes());
    }
    return b.toString();
  }

  /**
   * A backend's progress line for iteration {@code index} of a run (0-based over warm-up then
   * measured): "warm-up 1/2: ..." or "iteration 3/5: ...", measured iterations numbered from 1 as
   * in {@link MeasuredRun#representativeNumber()}. A run that replaces iterations measured in a
   * slow episode of the machine goes on past {@code iterations}: those lines say so ("iteration 6
   * (replacing a slow one): ...") rather than count past the total ("6/5").
   */
  public static String progressLine(
      int index, int warmup, int iterations, long makespanNanos, double loss) {
    boolean warm = index < warmup;
    int number = warm ? index + 1 : index - warmup + 1;
    String label;
    if (warm) {
      label = String.format(Locale.ROOT, "warm-up %d/%d", number, warmup);
    } else if (number <= iterations) {
      label = String.format(Locale.ROOT, "iteration %d/%d", number, iterations);
    } else {
      label = String.format(Locale.ROOT, "iteration %d (replacing a slow one)", number);
    }
    return String.format(Locale.ROOT, "%s: %.2f ms, loss %.4f", label, makespanNanos / 1e6, loss);
  }
}
