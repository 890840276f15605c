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
        String.format(
            Locale.ROOT,
            "per-action error median %.1f%%, p90 %.1f%% (%d actions matched%s)",
            100 * c.medianActionError(),
            100 * c.p90ActionError(),
            c.actions().size(),
            c.unmatchedActions() == 0 ? "" : ", " + c.unmatchedActions() + " unmatched"));
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
    return out;
  }

  /**
   * A backend's progress line for iteration {@code index} of a run (0-based over warm-up then
   * measured): "warm-up 1/2: ..." or "iteration 3/5: ...", measured iterations numbered from 1 as
   * in {@link MeasuredRun#representativeNumber()}.
   */
  public static String progressLine(
      int index, int warmup, int iterations, long makespanNanos, double loss) {
    boolean warm = index < warmup;
    return String.format(
        Locale.ROOT,
        "%s %d/%d: %.2f ms, loss %.4f",
        warm ? "warm-up" : "iteration",
        warm ? index + 1 : index - warmup + 1,
        warm ? warmup : iterations,
        makespanNanos / 1e6,
        loss);
  }
}
