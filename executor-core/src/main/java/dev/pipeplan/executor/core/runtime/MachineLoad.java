package dev.pipeplan.executor.core.runtime;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A snapshot of how busy the machine is: the whole machine's CPU time from {@code /proc/stat}
 * (busy, steal, total, in clock ticks over all cores), this process's CPU time and the wall clock.
 * Two snapshots give the cores other processes kept busy in between and the share the hypervisor
 * stole. Off Linux the {@code /proc} fields are -1 and the derived numbers are unknown (-1).
 *
 * @param busyTicks user, nice, system, irq and softirq ticks of all cores
 * @param stealTicks steal ticks (time this virtual machine was ready but the host ran another)
 * @param totalTicks every tick counted in the {@code cpu} line
 * @param processCpuNanos this process's CPU time (all its threads)
 * @param wallNanos {@link System#nanoTime()}
 */
public record MachineLoad(
    long busyTicks, long stealTicks, long totalTicks, long processCpuNanos, long wallNanos) {

  private static final Path PROC_STAT = Path.of("/proc/stat");

  /** Reads the machine's counters now. */
  public static MachineLoad now() {
    long busy = -1;
    long steal = -1;
    long total = -1;
    try {
      for (String line : Files.readAllLines(PROC_STAT, StandardCharsets.US_ASCII)) {
        if (line.startsWith("cpu ")) {
          long[] t = parseCpuLine(line);
          busy = t[0];
          steal = t[1];
          total = t[2];
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc not readable: the machine's share stays unknown
    }
    return new MachineLoad(busy, steal, total, readProcessCpuNanos(), System.nanoTime());
  }

  /**
   * {busy, steal, total} ticks of a {@code /proc/stat} {@code cpu} line: "cpu user nice system idle
   * iowait irq softirq steal guest guest_nice" (guest time is already counted in user).
   */
  static long[] parseCpuLine(String line) {
    String[] f = line.trim().split("\\s+");
    long[] v = new long[8];
    for (int i = 0; i < v.length && i + 1 < f.length; i++) {
      v[i] = Long.parseLong(f[i + 1]);
    }
    long busy = v[0] + v[1] + v[2] + v[5] + v[6];
    long total = 0;
    for (long x : v) {
      total += x;
    }
    return new long[] {busy, v[7], total};
  }

  private static long readProcessCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return -1;
  }

  /**
   * The cores other processes kept busy on average from {@code before} to this snapshot: the
   * machine's busy share of all cores less this process's own CPU time; -1 when unknown.
   */
  public double otherProcessCoresSince(MachineLoad before, int cores) {
    long ticks = totalTicks - before.totalTicks;
    long elapsed = wallNanos - before.wallNanos;
    if (before.totalTicks < 0 || totalTicks < 0 || ticks <= 0 || elapsed <= 0) {
      return -1;
    }
    double busyCores = cores * (busyTicks - before.busyTicks) / (double) ticks;
    double ownCores =
        processCpuNanos < 0 || before.processCpuNanos < 0
            ? 0
            : (processCpuNanos - before.processCpuNanos) / (double) elapsed;
    return Math.max(0, busyCores - ownCores);
  }

  /** The share of all CPU time stolen by the host since {@code before}; -1 when unknown. */
  public double stealFractionSince(MachineLoad before) {
    long ticks = totalTicks - before.totalTicks;
    if (before.totalTicks < 0 || totalTicks < 0 || ticks <= 0) {
      return -1;
    }
    return (stealTicks - before.stealTicks) / (double) ticks;
  }
}
