package dev.pipeplan.executor.core.profile;

import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.math3.stat.StatUtils;

/**
 * How much the runs' actions varied from one iteration to the next, the iteration's own speed taken
 * out: each action's duration over its median across the run's iterations, divided by the median of
 * those ratios in its iteration (a whole iteration run slower is the machine's speed, not jitter
 * between actions); the coefficient of variation of each action's such ratios, and their median
 * over the actions. Only quiet runs with at least three iterations count. {@code simulate --jitter}
 * takes the result ({@link dev.pipeplan.simulator.engine.Jitter}).
 *
 * @param cv the median coefficient of variation (0 when nothing was measured)
 * @param actions the actions it is the median over
 */
public record ActionJitter(double cv, int actions) {
  /** Fewer iterations than this say nothing about an action's spread. */
  static final int MIN_ITERATIONS = 3;

  /** One line for the fit's report. */
  public String line() {
    if (actions == 0) {
      return "jitter: not measured (no quiet run with " + MIN_ITERATIONS + " or more iterations)";
    }
    return String.format(
        Locale.ROOT,
        "jitter: an action's time varied %.1f%% between iterations (median coefficient of"
            + " variation over %d actions, each iteration's own speed taken out); 'simulate"
            + " --jitter %.3f' shows what it costs an iteration",
        100 * cv,
        actions,
        cv);
  }

  static ActionJitter of(List<MeasuredRun> runs) {
    List<Double> cvs = new ArrayList<>();
    for (MeasuredRun run : runs) {
      if (run.noise().busy() || run.iterations().size() < MIN_ITERATIONS) {
        continue;
      }
      Map<Action, List<Long>> byAction = new HashMap<>();
      for (Timeline iteration : run.iterations()) {
        for (TimedAction a : iteration.actions()) {
          byAction.computeIfAbsent(a.action(), k -> new ArrayList<>()).add(a.durationNanos());
        }
      }
      Map<Action, Double> median = new HashMap<>();
      byAction.forEach((a, d) -> median.put(a, median(d)));
      Map<Action, List<Double>> ratios = new HashMap<>();
      for (Timeline iteration : run.iterations()) {
        List<Double> own = new ArrayList<>();
        for (TimedAction a : iteration.actions()) {
          double m = median.get(a.action());
          if (m > 0) {
            own.add(a.durationNanos() / m);
          }
        }
        if (own.isEmpty()) {
          continue;
        }
        double speed = median(own);
        for (TimedAction a : iteration.actions()) {
          double m = median.get(a.action());
          if (m > 0 && speed > 0) {
            ratios
                .computeIfAbsent(a.action(), k -> new ArrayList<>())
                .add(a.durationNanos() / m / speed);
          }
        }
      }
      for (List<Double> r : ratios.values()) {
        if (r.size() >= MIN_ITERATIONS) {
          cvs.add(cv(r));
        }
      }
    }
    return cvs.isEmpty() ? new ActionJitter(0, 0) : new ActionJitter(median(cvs), cvs.size());
  }

  private static double[] array(List<? extends Number> values) {
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i).doubleValue();
    }
    return out;
  }

  /** The median (the mean of the middle two for an even count). */
  private static double median(List<? extends Number> values) {
    return StatUtils.percentile(array(values), 50);
  }

  /** Sample standard deviation over mean. */
  private static double cv(List<Double> values) {
    double[] v = array(values);
    double mean = StatUtils.mean(v);
    return mean == 0 ? 0 : Math.sqrt(StatUtils.variance(v, mean)) / mean;
  }
}
