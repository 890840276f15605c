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
 */
public record RunNoise(
    List<WorkerTime> workers,
    int cores,
    String loadAverageBefore,
    String loadAverageAfter,
    double otherProcessCores,
    double stealFraction,
    boolean cpuTimeComparable) {

  /**
   * Wall time over CPU time of the workers' actions above which the run is called busy: 10% more
   * wall than CPU time means a worker waited for a core for a tenth of its work.
   */
  public static final double BUSY_MARGIN = 0.10;

  public RunNoise {
    workers = List.copyOf(Objects.requireNonNull(workers, "workers"));
    Checks.nonNegative("noise cores", cores);
    Objects.requireNonNull(loadAverageBefore, "loadAverageBefore");
    Objects.requireNonNull(loadAverageAfter, "loadAverageAfter");
  }

  /** Nothing was recorded (a run file from before these fields, an imported trace). */
  public static RunNoise unknown() {
    return new RunNoise(List.of(), 0, "", "", -1, -1, false);
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
   * wall time than CPU time.
   */
  public boolean busy() {
    return cpuTimeComparable && worstWaitingShare() > BUSY_MARGIN;
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
  public String warning() {
    if (!busy()) {
      return "";
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
