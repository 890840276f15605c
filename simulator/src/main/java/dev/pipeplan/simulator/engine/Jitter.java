package dev.pipeplan.simulator.engine;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.cost.StageCosts;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The iteration time when every action's duration varies at random around its cost: each action's
 * duration is multiplied by an independent log-normal factor of mean 1 and coefficient of variation
 * {@code cv}, the schedule is simulated once per draw, and the draws' iteration times are
 * summarised. The simulator times mean durations; with noise, a device that waits for another's
 * action waits for the later of the two, so the expected iteration is longer than the iteration of
 * the mean durations, the more so the more often the devices wait on each other (interleaved and
 * V-shaped schedules more than 1F1B). On the 2-core development machine, actions varied 7–12%
 * between iterations and the effect reached 1.6–1.8% of the iteration (docs/accuracy.md, "Hand-offs
 * as the runs show them").
 *
 * <p>Deterministic: the draws come from a {@link SplittableRandom} with a fixed seed.
 */
public final class Jitter {
  /** Draws per estimate: the median's standard error is under 0.1% of it at a CV of 10%. */
  public static final int DRAWS = 200;

  /** The seed of the draws. */
  public static final long SEED = 1L;

  /** The largest coefficient of variation accepted: beyond it an action's time is mostly noise. */
  public static final double MAX_CV = 1.0;

  private Jitter() {}

  /**
   * A summary of the draws.
   *
   * @param cv the actions' coefficient of variation
   * @param draws how many iterations were drawn
   * @param meanDurationsNanos the iteration with every action at its cost (the simulator's)
   * @param medianNanos the draws' median iteration
   * @param p10Nanos their 10th percentile (nearest rank)
   * @param p90Nanos their 90th percentile
   * @param meanNanos their mean
   */
  public record Spread(
      double cv,
      int draws,
      long meanDurationsNanos,
      long medianNanos,
      long p10Nanos,
      long p90Nanos,
      long meanNanos) {

    /** The median over the iteration of mean durations, less 1. */
    public double medianStretch() {
      return meanDurationsNanos == 0 ? 0 : (double) medianNanos / meanDurationsNanos - 1;
    }

    /**
     * "with 8.0% jitter per action (200 draws): iteration median 472.31 ms (+1.6%), p10 468.02, p90
     * 477.90, mean 472.80 ms".
     */
    public String text() {
      return String.format(
          Locale.ROOT,
          "with %.1f%% jitter per action (%d draws): iteration median %.2f ms (%+.1f%%), p10 %.2f,"
              + " p90 %.2f, mean %.2f ms",
          100 * cv,
          draws,
          medianNanos / 1e6,
          100 * medianStretch(),
          p10Nanos / 1e6,
          p90Nanos / 1e6,
          meanNanos / 1e6);
    }
  }

  /** Refuses a coefficient of variation that is not a number from 0 to {@link #MAX_CV}. */
  public static void checkCv(String field, double cv) {
    if (!(cv >= 0 && cv <= MAX_CV)) {
      throw new BadInputException(
          field
              + " must be a coefficient of variation from 0 to "
              + MAX_CV
              + " (0.08 for 8%), got "
              + cv);
    }
  }

  /** {@link #DRAWS} draws of {@code schedule} under {@code costs} at {@code cv}. */
  public static Spread of(CompiledSchedule schedule, StageCosts costs, double cv) {
    return of(schedule, costs, cv, DRAWS, SEED);
  }

  /** {@code draws} draws with the given seed. */
  public static Spread of(
      CompiledSchedule schedule, StageCosts costs, double cv, int draws, long seed) {
    Objects.requireNonNull(schedule, "schedule");
    CostTables tables = CostTables.of(schedule, Objects.requireNonNull(costs, "costs"));
    checkCv("jitter", cv);
    if (draws < 1) {
      throw new IllegalArgumentException("draws must be >= 1, got " + draws);
    }
    long base = Simulator.iterationOf(schedule, Simulator.run(schedule, tables));
    // log-normal of mean 1: sigma^2 = ln(1 + cv^2), mu = -sigma^2 / 2
    double sigma = Math.sqrt(Math.log1p(cv * cv));
    double mu = -sigma * sigma / 2;
    SplittableRandom random = new SplittableRandom(seed);
    double[] factor = new double[schedule.actionCount()];
    long[] iterations = new long[draws];
    double sum = 0;
    for (int d = 0; d < draws; d++) {
      for (int k = 0; k < factor.length; k++) {
        factor[k] = Math.exp(mu + sigma * random.nextGaussian());
      }
      iterations[d] =
          Simulator.iterationOf(schedule, Simulator.run(schedule, tables, null, factor));
      sum += iterations[d];
    }
    Arrays.sort(iterations);
    return new Spread(
        cv,
        draws,
        base,
        iterations[(draws - 1) / 2],
        iterations[Math.max(0, (int) Math.ceil(0.1 * draws) - 1)],
        iterations[Math.max(0, (int) Math.ceil(0.9 * draws) - 1)],
        Math.round(sum / draws));
  }
}
