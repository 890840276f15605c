package dev.pipeplan.executor.core.profile;

import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.Profile;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;
import org.apache.commons.math3.stat.regression.SimpleRegression;

/** How measured times become a profile, on every backend: medians, line fits, progress lines. */
public final class LayerFits {
  private LayerFits() {}

  /** The layer's profile: its samples and a line {@code fixed + perSample * b} per action. */
  public static Profile.LayerProfile layerProfile(String name, List<MeasuredTimes> samples) {
    return new Profile.LayerProfile(
        name,
        samples,
        fit(samples, MeasuredTimes::forwardNanos),
        fit(samples, MeasuredTimes::backwardInputNanos),
        fit(samples, MeasuredTimes::backwardWeightNanos));
  }

  /**
   * Least squares of the times on b; with one size, a line through the origin. Never a negative
   * slope: a falling line becomes the mean, flat.
   */
  public static Profile.LinearFit fit(
      List<MeasuredTimes> samples, ToLongFunction<MeasuredTimes> time) {
    if (samples.size() == 1) {
      MeasuredTimes only = samples.get(0);
      return new Profile.LinearFit(0, time.applyAsLong(only) / (double) only.microBatchSize());
    }
    SimpleRegression regression = new SimpleRegression(true);
    for (MeasuredTimes s : samples) {
      regression.addData(s.microBatchSize(), time.applyAsLong(s));
    }
    double slope = regression.getSlope();
    double intercept = regression.getIntercept();
    if (slope < 0) {
      double mean = 0;
      for (MeasuredTimes s : samples) {
        mean += time.applyAsLong(s);
      }
      return new Profile.LinearFit(mean / samples.size(), 0);
    }
    return new Profile.LinearFit(intercept, slope);
  }

  /** The lower median: the middle value, or the lower of the two middle ones. */
  public static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(sorted.length - 1) / 2];
  }

  /** "name: b=B F x ms, I y ms, W z ms" at the layer's largest measured size. */
  public static String progressLine(Profile.LayerProfile p) {
    MeasuredTimes last = p.samples().get(p.samples().size() - 1);
    return String.format(
        Locale.ROOT,
        "%s: b=%d F %.3f ms, I %.3f ms, W %.3f ms",
        p.layerName(),
        last.microBatchSize(),
        last.forwardNanos() / 1e6,
        last.backwardInputNanos() / 1e6,
        last.backwardWeightNanos() / 1e6);
  }
}
