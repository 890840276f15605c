package dev.pipeplan.simulator.compare;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A predicted timeline set against a measured one. Errors are signed and relative to the
 * measurement, {@code (predicted - measured) / measured}: a negative error means the prediction was
 * too optimistic. Actions are matched on (device, action); an action found in only one timeline is
 * counted in {@code unmatchedActions}.
 *
 * @param predictedIterationNanos the predicted iteration time (makespan)
 * @param measuredIterationNanos the measured iteration time (makespan)
 * @param iterationError signed relative error of the iteration time
 * @param medianActionError median over matched actions of the absolute relative duration error
 * @param p90ActionError 90th percentile (nearest rank) of the same
 * @param predictedBubbleRatio 1 - busy / (p * iteration time) of the prediction
 * @param measuredBubbleRatio the same of the measurement
 * @param actions every matched action, sorted by device, then predicted start, then action
 * @param stages per global stage, how far its actions drifted, sorted by stage
 * @param mostDriftedStage the stage whose mean ratio is furthest from 1 (in log scale, so 0.5 and 2
 *     are as far); -1 when no stage has a ratio
 * @param unmatchedActions actions present in only one of the two timelines
 */
public record Comparison(
    long predictedIterationNanos,
    long measuredIterationNanos,
    double iterationError,
    double medianActionError,
    double p90ActionError,
    double predictedBubbleRatio,
    double measuredBubbleRatio,
    List<ActionComparison> actions,
    List<StageDrift> stages,
    int mostDriftedStage,
    int unmatchedActions) {

  public Comparison {
    actions = List.copyOf(Objects.requireNonNull(actions, "actions"));
    stages = List.copyOf(Objects.requireNonNull(stages, "stages"));
  }

  /**
   * One action in both timelines.
   *
   * @param device the device it ran on
   * @param action the action
   * @param predictedStartNanos predicted start from the iteration's start
   * @param predictedNanos predicted duration
   * @param measuredStartNanos measured start from the iteration's start
   * @param measuredNanos measured duration
   * @param error signed relative duration error, {@code (predicted - measured) / measured} (a
   *     measured duration of 0 counts as 1 ns)
   */
  public record ActionComparison(
      int device,
      Action action,
      long predictedStartNanos,
      long predictedNanos,
      long measuredStartNanos,
      long measuredNanos,
      double error) {
    public ActionComparison {
      Objects.requireNonNull(action, "action");
    }
  }

  /**
   * How far one stage's measured action times are from their predictions.
   *
   * @param stage the global virtual stage
   * @param actionCount matched actions of the stage with a predicted duration above 0
   * @param meanRatio mean of measured / predicted over those actions (0 when there are none)
   */
  public record StageDrift(int stage, int actionCount, double meanRatio) {}

  /** Compares a predicted timeline with a measured one of the same schedule. */
  public static Comparison of(Timeline predicted, Timeline measured) {
    return of(predicted, measured, List.of(measured));
  }

  /**
   * Compares a predicted timeline with measured iterations of the same schedule: the iteration time
   * and each action's start are {@code measured}'s (the representative iteration), each action's
   * measured duration is the median of its durations over {@code repeats} (every measured
   * iteration, {@code measured} among them), so that one action's jitter in one iteration does not
   * count as the model's error. With {@code repeats} holding only {@code measured}, the durations
   * are its own.
   */
  public static Comparison of(Timeline predicted, Timeline measured, List<Timeline> repeats) {
    Objects.requireNonNull(predicted, "predicted");
    Objects.requireNonNull(measured, "measured");
    Objects.requireNonNull(repeats, "repeats");
    Map<String, TimedAction> measuredByKey = new TreeMap<>();
    for (TimedAction a : measured.actions()) {
      measuredByKey.put(key(a), a);
    }
    // Per action of the representative iteration: its durations in the repeats.
    Map<String, List<Long>> durations = new TreeMap<>();
    for (Timeline repeat : repeats.isEmpty() ? List.of(measured) : repeats) {
      for (TimedAction a : repeat.actions()) {
        String k = key(a);
        if (measuredByKey.containsKey(k)) {
          durations.computeIfAbsent(k, x -> new ArrayList<>()).add(a.durationNanos());
        }
      }
    }
    List<TimedAction> predictedSorted = new ArrayList<>(predicted.actions());
    predictedSorted.sort(
        Comparator.comparingInt(TimedAction::device)
            .thenComparingLong(TimedAction::startNanos)
            .thenComparing(TimedAction::action));
    long predictedStart = earliestStart(predicted);
    long measuredStart = earliestStart(measured);

    List<ActionComparison> matched = new ArrayList<>();
    Map<Integer, double[]> ratioSums = new TreeMap<>();
    int unmatched = 0;
    for (TimedAction p : predictedSorted) {
      TimedAction m = measuredByKey.remove(key(p));
      if (m == null) {
        unmatched++;
        continue;
      }
      long measuredNanos = median(durations.get(key(p)), m.durationNanos());
      double error = (p.durationNanos() - (double) measuredNanos) / Math.max(1L, measuredNanos);
      matched.add(
          new ActionComparison(
              p.device(),
              p.action(),
              p.startNanos() - predictedStart,
              p.durationNanos(),
              m.startNanos() - measuredStart,
              measuredNanos,
              error));
      double[] sum = ratioSums.computeIfAbsent(p.action().stage(), s -> new double[2]);
      if (p.durationNanos() > 0) {
        sum[0] += measuredNanos / (double) p.durationNanos();
        sum[1] += 1;
      }
    }
    unmatched += measuredByKey.size();

    double[] absErrors = new double[matched.size()];
    for (int i = 0; i < absErrors.length; i++) {
      absErrors[i] = Math.abs(matched.get(i).error());
    }
    java.util.Arrays.sort(absErrors);

    List<StageDrift> drifts = new ArrayList<>();
    int worst = -1;
    double worstDistance = -1;
    for (Map.Entry<Integer, double[]> e : ratioSums.entrySet()) {
      int count = (int) e.getValue()[1];
      double mean = count == 0 ? 0 : e.getValue()[0] / count;
      drifts.add(new StageDrift(e.getKey(), count, mean));
      if (count > 0 && mean > 0) {
        double distance = Math.abs(Math.log(mean));
        if (distance > worstDistance) {
          worstDistance = distance;
          worst = e.getKey();
        }
      }
    }

    long predictedIteration = predicted.makespanNanos();
    long measuredIteration = measured.makespanNanos();
    return new Comparison(
        predictedIteration,
        measuredIteration,
        (predictedIteration - (double) measuredIteration) / Math.max(1L, measuredIteration),
        percentile(absErrors, 0.5),
        percentile(absErrors, 0.9),
        bubbleRatio(predicted),
        bubbleRatio(measured),
        matched,
        drifts,
        worst,
        unmatched);
  }

  /** 1 - busy / (p * makespan) of a timeline; 0 for an empty one. */
  public static double bubbleRatio(Timeline timeline) {
    long makespan = timeline.makespanNanos();
    if (makespan == 0) {
      return 0;
    }
    long busy = 0;
    for (TimedAction a : timeline.actions()) {
      busy += a.durationNanos();
    }
    return 1.0 - busy / ((double) timeline.deviceCount() * makespan);
  }

  /** The mean ratio of the stage that drifted most, or 1 when there is none. */
  public double mostDriftedRatio() {
    for (StageDrift d : stages) {
      if (d.stage() == mostDriftedStage) {
        return d.meanRatio();
      }
    }
    return 1.0;
  }

  /**
   * The median of {@code values} (the mean of the middle two for an even count, rounded down);
   * {@code fallback} when there are none.
   */
  private static long median(List<Long> values, long fallback) {
    if (values == null || values.isEmpty()) {
      return fallback;
    }
    long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** Nearest-rank percentile of sorted values; 0 for none. */
  static double percentile(double[] sorted, double fraction) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(fraction * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static long earliestStart(Timeline timeline) {
    long first = Long.MAX_VALUE;
    for (TimedAction a : timeline.actions()) {
      first = Math.min(first, a.startNanos());
    }
    return first == Long.MAX_VALUE ? 0 : first;
  }

  private static String key(TimedAction a) {
    return String.format(
        java.util.Locale.ROOT,
        "%08d/%s/%08d/%08d",
        a.device(),
        a.action().type(),
        a.action().stage(),
        a.action().microBatch());
  }
}
