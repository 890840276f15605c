package dev.pipeplan.executor.core.profile;

import dev.pipeplan.models.Profile;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import dev.pipeplan.simulator.timeline.Transfer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.math3.stat.StatUtils;

/**
 * The hand-off latency the runs show: how long a worker that waited for another worker's tensor
 * took to start after the producing action ended, less the copy time at the profile's bandwidth.
 * The profiler measures a hand-off between two threads that pass a tensor back and forth; in a run
 * the waiting thread has been parked for milliseconds, and on a virtual machine waking it takes
 * longer (on the 2-core development machine: 71 us profiled, 124–218 us median and 238–506 us mean
 * over the waits of a run, with a tail to several milliseconds; docs/accuracy.md, "Hand-offs as the
 * runs show them"). A pipeline pays the mean, once per wait on its critical path.
 *
 * <p>Only quiet runs count: on a busy machine a wait also holds the time another process kept the
 * core.
 *
 * @param profiledNanos the profile's hand-off latency
 * @param meanNanos the mean measured latency over the waits (0 when there were none)
 * @param medianNanos their median
 * @param p90Nanos their 90th percentile (nearest rank)
 * @param waits the waits measured
 * @param quietRuns the runs they came from
 */
public record HandoffFit(
    long profiledNanos, long meanNanos, long medianNanos, long p90Nanos, int waits, int quietRuns) {

  /** Fewer waits than this leave the profiled latency as it is. */
  static final int MIN_WAITS = 10;

  /** Whether the runs showed enough waits to replace the profiled latency. */
  public boolean fitted() {
    return waits >= MIN_WAITS && meanNanos > 0 && profiledNanos > 0;
  }

  /** The latency the calibrated profile takes. */
  public long latencyNanos() {
    return fitted() ? meanNanos : profiledNanos;
  }

  /** The factor recorded among the profile's corrections (measured over profiled). */
  double factor() {
    return fitted() ? (double) meanNanos / profiledNanos : 1.0;
  }

  /** One line for the fit's report. */
  public String line() {
    if (!fitted()) {
      return String.format(
          Locale.ROOT,
          "hand-off: %.0f us as profiled, kept: %d waits for another worker's tensor in %d quiet"
              + " run%s (at least %d are needed)",
          profiledNanos / 1e3,
          waits,
          quietRuns,
          quietRuns == 1 ? "" : "s",
          MIN_WAITS);
    }
    return String.format(
        Locale.ROOT,
        "hand-off: %.0f us as profiled; %d waits for another worker's tensor in %d quiet run%s took"
            + " %.0f us after the producer ended (mean; median %.0f us, p90 %.0f us): the"
            + " calibrated profile takes the mean",
        profiledNanos / 1e3,
        waits,
        quietRuns,
        quietRuns == 1 ? "" : "s",
        meanNanos / 1e3,
        medianNanos / 1e3,
        p90Nanos / 1e3);
  }

  /**
   * Measures the hand-offs of {@code runs}: for every transfer of a run's prediction between two
   * devices, in every measured iteration where the consumer's device was idle when the producer
   * ended (its previous action had ended, or it had none), the consumer's start less the producer's
   * end less the copy time.
   */
  static HandoffFit of(Profile profile, List<MeasuredRun> runs) {
    List<Long> latencies = new ArrayList<>();
    int quiet = 0;
    for (MeasuredRun run : runs) {
      if (run.noise().busy()) {
        continue;
      }
      quiet++;
      for (Timeline iteration : run.iterations()) {
        collect(profile, run.predicted().transfers(), iteration, latencies);
      }
    }
    if (latencies.isEmpty()) {
      return new HandoffFit(profile.handoffLatencyNanos(), 0, 0, 0, 0, quiet);
    }
    double[] sorted = new double[latencies.size()];
    for (int i = 0; i < sorted.length; i++) {
      sorted[i] = latencies.get(i);
    }
    Arrays.sort(sorted);
    return new HandoffFit(
        profile.handoffLatencyNanos(),
        Math.round(StatUtils.mean(sorted)),
        Math.round(RunCalibration.percentile(sorted, 0.5)),
        Math.round(RunCalibration.percentile(sorted, 0.9)),
        sorted.length,
        quiet);
  }

  private static void collect(
      Profile profile, List<Transfer> transfers, Timeline iteration, List<Long> out) {
    Map<Action, TimedAction> byAction = new HashMap<>();
    Map<Action, Long> previousEnd = new HashMap<>();
    List<TimedAction> sorted = new ArrayList<>(iteration.actions());
    sorted.sort(
        Comparator.comparingInt(TimedAction::device).thenComparingLong(TimedAction::startNanos));
    TimedAction previous = null;
    for (TimedAction a : sorted) {
      byAction.put(a.action(), a);
      if (previous != null && previous.device() == a.device()) {
        previousEnd.put(a.action(), previous.endNanos());
      }
      previous = a;
    }
    // a consumer waits for the last of its tensors to come: only that one's hand-off is measured
    Map<Action, Transfer> last = new HashMap<>();
    for (Transfer t : transfers) {
      TimedAction producer = byAction.get(t.producer());
      if (t.fromDevice() == t.toDevice() || producer == null) {
        continue;
      }
      Transfer other = last.get(t.consumer());
      if (other == null || byAction.get(other.producer()).endNanos() < producer.endNanos()) {
        last.put(t.consumer(), t);
      }
    }
    for (Transfer t : last.values()) {
      TimedAction producer = byAction.get(t.producer());
      TimedAction consumer = byAction.get(t.consumer());
      if (consumer == null || producer.device() == consumer.device()) {
        continue;
      }
      long idleSince = previousEnd.getOrDefault(t.consumer(), Long.MIN_VALUE);
      if (idleSince > producer.endNanos() || consumer.startNanos() < producer.endNanos()) {
        continue; // the consumer's device was busy when the tensor came, or started without it
      }
      double copyNanos =
          profile.handoffBytesPerSecond() > 0
              ? t.bytes() * 1e9 / profile.handoffBytesPerSecond()
              : 0;
      out.add(Math.max(0, Math.round(consumer.startNanos() - producer.endNanos() - copyNanos)));
    }
  }
}
