package dev.pipeplan.simulator.compare;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A bootstrap confidence interval of the iteration error over a run's measured iterations: the
 * iterations are resampled with replacement, each resample's median iteration time gives an error
 * {@code (predicted - median) / median}, and the interval spans the central {@code level} of those
 * errors (percentile bootstrap). The seed is fixed, so the same run gives the same interval. The
 * error is "within noise" when the interval contains 0.
 *
 * @param lower the interval's lower end (signed relative error)
 * @param upper its upper end
 * @param level the confidence level, 0.95
 * @param iterations how many measured iterations were resampled
 * @param resamples how many bootstrap resamples were drawn
 * @param seed the resampling seed
 */
public record ErrorInterval(
    double lower, double upper, double level, int iterations, int resamples, long seed) {

  /** The fewest measured iterations an interval is computed from. */
  public static final int MIN_ITERATIONS = 5;

  public static final int DEFAULT_RESAMPLES = 2000;
  public static final long DEFAULT_SEED = 20261202L;
  public static final double DEFAULT_LEVEL = 0.95;

  public ErrorInterval {
    if (!(lower <= upper)) {
      throw new BadInputException("interval lower (" + lower + ") is above upper (" + upper + ")");
    }
  }

  /** Whether 0 lies in the interval: the measurement cannot tell the error from the noise. */
  public boolean withinNoise() {
    return lower <= 0 && upper >= 0;
  }

  /** "[-4.1%, +2.0%]". */
  public String text() {
    return String.format(Locale.ROOT, "[%+.1f%%, %+.1f%%]", 100 * lower, 100 * upper);
  }

  /**
   * The interval of a run's iteration error, or empty when it has fewer than {@link
   * #MIN_ITERATIONS} measured iterations.
   */
  public static java.util.Optional<ErrorInterval> of(MeasuredRun run) {
    Objects.requireNonNull(run, "run");
    if (run.iterations().size() < MIN_ITERATIONS) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        bootstrap(
            run.predicted().makespanNanos(),
            makespans(run.iterations()),
            DEFAULT_LEVEL,
            DEFAULT_RESAMPLES,
            DEFAULT_SEED));
  }

  /** The percentile-bootstrap interval of {@code (predicted - median(measured)) / median}. */
  public static ErrorInterval bootstrap(
      long predictedNanos, long[] measuredNanos, double level, int resamples, long seed) {
    if (measuredNanos.length == 0) {
      throw new BadInputException("no measured iterations to resample");
    }
    if (!(level > 0 && level < 1)) {
      throw new BadInputException("confidence level must be in (0, 1), got " + level);
    }
    if (resamples < 1) {
      throw new BadInputException("resamples must be at least 1, got " + resamples);
    }
    SplittableRandom random = new SplittableRandom(seed);
    int n = measuredNanos.length;
    long[] draw = new long[n];
    double[] errors = new double[resamples];
    for (int r = 0; r < resamples; r++) {
      for (int i = 0; i < n; i++) {
        draw[i] = measuredNanos[random.nextInt(n)];
      }
      Arrays.sort(draw);
      long median = draw[(n - 1) / 2];
      errors[r] = (predictedNanos - (double) median) / Math.max(1L, median);
    }
    Arrays.sort(errors);
    double tail = (1 - level) / 2;
    return new ErrorInterval(
        Comparison.percentile(errors, tail),
        Comparison.percentile(errors, 1 - tail),
        level,
        n,
        resamples,
        seed);
  }

  private static long[] makespans(List<Timeline> iterations) {
    long[] out = new long[iterations.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = iterations.get(i).makespanNanos();
    }
    return out;
  }
}
