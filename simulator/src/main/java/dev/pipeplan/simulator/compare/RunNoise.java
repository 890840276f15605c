package dev.pipeplan.simulator.compare;

import dev.pipeplan.models.Checks;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How noisy the machine was while a run was measured: per worker, the wall time and the thread CPU
 * time of its actions; the load average and the CPU time other processes and the hypervisor took
 * (from {@code /proc/stat}) over the measured iterations. A worker whose actions took more wall
 * time than CPU time waited for a core: that time is the machine's, not the model's.
 *
 * @param workers per pipeline worker, its actions' time summed over the measured iterations
 * @param cores the machine's logical cores
 * @param loadAverageBefore the 1, 5 and 15 minute load averages before the run ("" when unknown)
 * @param loadAverageAfter the same after the run
 * @param otherProcessCores cores other processes kept busy on average while the measured iterations
 *     ran ({@code /proc/stat} busy time less this process's CPU time, over the elapsed time); -1
 *     when unknown
 * @param stealFraction the share of all CPU time the hypervisor gave to other machines over the
 *     same span ({@code steal} in {@code /proc/stat}); -1 when unknown
 * @param cpuTimeComparable whether a worker's thread CPU time covers its actions' work (one native
 *     thread per worker); with more, native helper threads do part of the work and the busy check
 *     is not made
 * @param iterationSlowdowns for every measured iteration attempted, in order, how much slower than
 *     its normal speed the machine ran around it (a fixed probe's CPU time on every core, before
 *     and after the iteration, over the run's median probe, less 1; 0 when not slower); empty when
 *     not probed
 * @param discardedIterations how many of those attempts ran in a slow episode (see {@link
 *     #slowAttempt}) and were replaced by further iterations; the run's iterations are the others
 * @param probeMedianNanos the probe's median sample (0 when not probed)
 * @param iterationPaceSlowdowns for every measured iteration attempted, in order, how much longer
 *     its actions took in all than the same actions' median over the attempts, less 1 (0 when not
 *     longer): a slow episode inside the iteration, which the probe between iterations cannot see;
 *     empty in run files written before it was recorded (2026-12-03)
 */
public record RunNoise(
    List<WorkerTime> workers,
    int cores,
    String loadAverageBefore,
    String loadAverageAfter,
    double otherProcessCores,
    double stealFraction,
    boolean cpuTimeComparable,
    List<Double> iterationSlowdowns,
    int discardedIterations,
    long probeMedianNanos,
    List<Double> iterationPaceSlowdowns) {

  /**
   * Wall time over CPU time of the workers' actions above which the run is called busy: 10% more
   * wall than CPU time means a worker waited for a core for a tenth of its work.
   */
  public static final double BUSY_MARGIN = 0.10;

  /**
   * The share of the machine's CPU time the hypervisor may give to other virtual machines while a
   * run is measured for the run to count as quiet. A stolen share is wall time the workers' threads
   * did not run, and it marks a neighbour that also takes caches and memory bandwidth: over 132
   * runs on the 2-core virtual machine pipeplan is developed on, those with under 1% stolen were
   * predicted without bias (median error +0.3%), those with 1–2% 5.5% short, 2–5% 7–12% short and
   * over 10% 24% short (docs/accuracy.md, "Time the host took"), however little the workers' wall
   * time exceeded their CPU time.
   */
  public static final double STEAL_MARGIN = 0.02;

  /**
   * How much slower than its usual (median) sample the machine speed probe may run around an
   * iteration for the iteration to count as run at the machine's usual speed. On the quiet 2-core
   * virtual machine pipeplan is developed on, a sixth of the probe's samples are more than 15% over
   * their median, and slow episodes reach 30–100%.
   */
  public static final double SLOW_MARGIN = 0.15;

  /**
   * How much longer than their median over a run's attempts an iteration's actions may take in all
   * for the iteration to count as run at the machine's usual pace. The same actions on the same
   * data are far steadier than the probe: over the twelve runs of one quiet {@code demo --accuracy}
   * (60 iterations) the iterations without an episode were within ±5% of their run's medians, the
   * episodes 11–35% over (docs/accuracy.md, "Slow episodes inside an iteration").
   */
  public static final double PACE_MARGIN = 0.08;

  public RunNoise {
    workers = List.copyOf(Objects.requireNonNull(workers, "workers"));
    Checks.nonNegative("noise cores", cores);
    Objects.requireNonNull(loadAverageBefore, "loadAverageBefore");
    Objects.requireNonNull(loadAverageAfter, "loadAverageAfter");
    iterationSlowdowns =
        List.copyOf(Objects.requireNonNull(iterationSlowdowns, "iterationSlowdowns"));
    requireSlowdowns("iterationSlowdowns", iterationSlowdowns);
    Checks.nonNegative("noise probeMedianNanos", probeMedianNanos);
    iterationPaceSlowdowns =
        List.copyOf(Objects.requireNonNull(iterationPaceSlowdowns, "iterationPaceSlowdowns"));
    requireSlowdowns("iterationPaceSlowdowns", iterationPaceSlowdowns);
    if (!iterationPaceSlowdowns.isEmpty()
        && iterationPaceSlowdowns.size() != iterationSlowdowns.size()) {
      throw new IllegalArgumentException(
          "noise iterationPaceSlowdowns has "
              + iterationPaceSlowdowns.size()
              + " entries but iterationSlowdowns "
              + iterationSlowdowns.size()
              + ": one per attempted iteration in both");
    }
    int slow = slowCount(iterationSlowdowns, iterationPaceSlowdowns);
    if (discardedIterations < 0 || discardedIterations > slow) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "noise discardedIterations is %d, but only %d of the %d attempts ran slow (the probe"
                  + " more than %.0f%% slow in iterationSlowdowns, or the attempt's own actions more"
                  + " than %.0f%% in iterationPaceSlowdowns), and only those are replaced: it must be"
                  + " between 0 and %d",
              discardedIterations,
              slow,
              iterationSlowdowns.size(),
              100 * SLOW_MARGIN,
              100 * PACE_MARGIN,
              slow));
    }
  }

  /**
   * The largest slowdown a run file may record: 100, an iteration 101 times as long as usual. A
   * larger one is not a measurement of this machine but a broken or hand-edited file.
   */
  public static final double MAX_SLOWDOWN = 100;

  private static void requireSlowdowns(String field, List<Double> slowdowns) {
    for (int i = 0; i < slowdowns.size(); i++) {
      double s = slowdowns.get(i);
      if (!(s >= 0 && s <= MAX_SLOWDOWN)) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "noise %s[%d] is %s, but a slowdown must be between 0 and %.0f (an iteration %.0f"
                    + " times as long as usual)",
                field,
                i,
                s,
                MAX_SLOWDOWN,
                MAX_SLOWDOWN + 1));
      }
    }
  }

  /** Without the actions' own pace (run files written before it was recorded). */
  public RunNoise(
      List<WorkerTime> workers,
      int cores,
      String loadAverageBefore,
      String loadAverageAfter,
      double otherProcessCores,
      double stealFraction,
      boolean cpuTimeComparable,
      List<Double> iterationSlowdowns,
      int discardedIterations,
      long probeMedianNanos) {
    this(
        workers,
        cores,
        loadAverageBefore,
        loadAverageAfter,
        otherProcessCores,
        stealFraction,
        cpuTimeComparable,
        iterationSlowdowns,
        discardedIterations,
        probeMedianNanos,
        List.of());
  }

  /**
   * Whether an attempted iteration ran in a slow episode: the probe around it ran more than {@link
   * #SLOW_MARGIN} slower than usual, or its own actions more than {@link #PACE_MARGIN} slower than
   * their median.
   */
  public static boolean slowAttempt(double probeSlowdown, double paceSlowdown) {
    return severity(probeSlowdown, paceSlowdown) > 1;
  }

  /**
   * How slow an attempt ran, each slowdown over its own margin, the larger: above 1 it ran in a
   * slow episode. Orders the attempts a run keeps when too few ran at the usual speed.
   */
  public static double severity(double probeSlowdown, double paceSlowdown) {
    return Math.max(probeSlowdown / SLOW_MARGIN, paceSlowdown / PACE_MARGIN);
  }

  /** Without a speed probe (runs on other backends, files from before it). */
  public RunNoise(
      List<WorkerTime> workers,
      int cores,
      String loadAverageBefore,
      String loadAverageAfter,
      double otherProcessCores,
      double stealFraction,
      boolean cpuTimeComparable) {
    this(
        workers,
        cores,
        loadAverageBefore,
        loadAverageAfter,
        otherProcessCores,
        stealFraction,
        cpuTimeComparable,
        List.of(),
        0,
        0);
  }

  /** Nothing was recorded (a run file from before these fields, an imported trace). */
  public static RunNoise unknown() {
    return new RunNoise(List.of(), 0, "", "", -1, -1, false);
  }

  private static int slowCount(List<Double> probe, List<Double> pace) {
    int slow = 0;
    for (int i = 0; i < probe.size(); i++) {
      if (slowAttempt(probe.get(i), pace.isEmpty() ? 0 : pace.get(i))) {
        slow++;
      }
    }
    return slow;
  }

  /** Measured iterations that ran in a slow episode of the machine, kept or discarded. */
  public int slowIterations() {
    return slowCount(iterationSlowdowns, iterationPaceSlowdowns);
  }

  /**
   * Whether some kept iteration ran in a slow episode: the run could not find enough iterations at
   * the machine's normal speed, so its times carry the machine's slowdown.
   */
  public boolean unsteady() {
    return slowIterations() > discardedIterations;
  }

  /** The largest slowdown around any attempted iteration (0 when not probed). */
  public double worstSlowdown() {
    return worst(iterationSlowdowns);
  }

  /** The largest slowdown of any attempted iteration's own actions (0 when not recorded). */
  public double worstPaceSlowdown() {
    return worst(iterationPaceSlowdowns);
  }

  private static double worst(List<Double> slowdowns) {
    double worst = 0;
    for (double s : slowdowns) {
      worst = Math.max(worst, s);
    }
    return worst;
  }

  /**
   * One worker's actions.
   *
   * @param device the pipeline worker
   * @param busyWallNanos the sum of its actions' wall-clock durations
   * @param busyCpuNanos the sum of its thread's CPU time during those actions
   */
  public record WorkerTime(int device, long busyWallNanos, long busyCpuNanos) {
    public WorkerTime {
      Checks.nonNegative("worker device", device);
      Checks.nonNegative("worker busyWallNanos", busyWallNanos);
      Checks.nonNegative("worker busyCpuNanos", busyCpuNanos);
    }

    /** Wall over CPU time less 1: the share of the work spent waiting for a core. */
    public double waitingShare() {
      return busyCpuNanos == 0 ? 0 : busyWallNanos / (double) busyCpuNanos - 1;
    }
  }

  /** Whether anything was recorded. */
  public boolean known() {
    return !workers.isEmpty();
  }

  /** The largest wall-over-CPU excess of any worker (0 when nothing was recorded). */
  public double worstWaitingShare() {
    double worst = 0;
    for (WorkerTime w : workers) {
      worst = Math.max(worst, w.waitingShare());
    }
    return worst;
  }

  /**
   * Whether the machine was busy: some worker's actions took more than {@link #BUSY_MARGIN} more
   * wall time than CPU time, the host took more than {@link #STEAL_MARGIN} of the CPU time, or some
   * kept iteration ran in a slow episode.
   */
  public boolean busy() {
    return waited() || stolen() || unsteady();
  }

  /** Whether the host took more than {@link #STEAL_MARGIN} of the CPU time (unknown: no). */
  public boolean stolen() {
    return stealFraction > STEAL_MARGIN;
  }

  private boolean waited() {
    return cpuTimeComparable && worstWaitingShare() > BUSY_MARGIN;
  }

  /**
   * The slow episodes in one line: "2 of 7 measured iterations ran in slow episodes of this machine
   * (a fixed probe up to 31% slower than usual, the iterations' own actions up to 18% slower than
   * their median) and were replaced"; empty when none or not probed.
   */
  public String slowEpisodes() {
    if (slowIterations() == 0) {
      return "";
    }
    String pace =
        iterationPaceSlowdowns.isEmpty()
            ? ""
            : String.format(
                Locale.ROOT,
                ", the iterations' own actions up to %.0f%% slower than their median",
                100 * worstPaceSlowdown());
    return String.format(
        Locale.ROOT,
        "%d of %d measured iterations ran in slow episodes of this machine (a fixed probe up to %.0f%%"
            + " slower than usual%s)%s",
        slowIterations(),
        iterationSlowdowns.size(),
        100 * worstSlowdown(),
        pace,
        unsteady() ? "" : " and were replaced");
  }

  /**
   * Cores other processes must have held on average, or the host must have stolen, for a wait to be
   * put on them rather than on this process's own threads.
   */
  public static final double OTHER_PROCESS_CORES = 0.1;

  /**
   * The warning a busy run carries; empty when the run was not busy. When other processes held a
   * core, or the host stole time: "the machine was busy: 1.9 of 2 cores taken by other processes;
   * ...; the comparison is not a model error". When neither: the workers waited for this process's
   * own threads (garbage collection, JIT compilation) or the kernel, which every run on the machine
   * pays, so the message says so and does not excuse the comparison.
   */
  /**
   * Whether {@link #warning()} puts the comparison's error on the machine rather than the model: a
   * slow episode, or waiting while other processes held a core or the host stole time; not the wait
   * for this process's own threads, which every run pays.
   */
  public boolean excusesComparison() {
    if (!waited()) {
      return stolen() || unsteady();
    }
    boolean others = otherProcessCores < 0 || otherProcessCores >= OTHER_PROCESS_CORES;
    return others || stealFraction > 0.005;
  }

  public String warning() {
    if (!waited()) {
      if (stolen()) {
        return String.format(
            Locale.ROOT,
            "the machine was busy: the host took %.0f%% of the CPU time for other virtual machines"
                + " (more than %.0f%%), time in which the workers could not run%s; the comparison is"
                + " not a model error",
            100 * stealFraction,
            100 * STEAL_MARGIN,
            unsteady() ? "; " + slowEpisodes() : "");
      }
      return unsteady()
          ? "the machine ran slow: "
              + slowEpisodes()
              + "; the comparison carries the machine's slowdown and is not a model error"
          : "";
    }
    String steal =
        stealFraction > 0.005
            ? String.format(
                Locale.ROOT, ", %.0f%% of CPU time stolen by the host", 100 * stealFraction)
            : "";
    boolean others = otherProcessCores < 0 || otherProcessCores >= OTHER_PROCESS_CORES;
    if (!others && stealFraction <= 0.005) {
      return String.format(
          Locale.ROOT,
          "the workers waited for a core: their actions took up to %.0f%% more wall time than CPU"
              + " time while other processes held %.1f of %d cores; this process's own threads"
              + " (garbage collection, JIT compilation) or the kernel took it, which runs on this"
              + " machine pay too",
          100 * worstWaitingShare(),
          otherProcessCores,
          cores);
    }
    String taken =
        otherProcessCores >= 0
            ? String.format(
                Locale.ROOT, "%.1f of %d cores taken by other processes", otherProcessCores, cores)
            : "the workers waited for a core";
    return String.format(
        Locale.ROOT,
        "the machine was busy: %s%s; worker actions took up to %.0f%% more wall time than CPU time;"
            + " the comparison is not a model error",
        taken,
        steal,
        100 * worstWaitingShare());
  }
}
