package dev.pipeplan.executor.core.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * Which measured iterations ran at the machine's usual speed. The {@link SpeedProbe} is sampled
 * before the first measured iteration and after each one, so iteration i lies between samples i and
 * i + 1; it ran in a slow episode when either sample took more than {@code RunNoise.SLOW_MARGIN}
 * more CPU time than the run's median sample. (The median, not the fastest sample: on a quiet
 * 2-core virtual machine the probe's samples spread from 0.8 to 1.6 times their median, so the
 * fastest one is an outlier, not the usual speed.)
 */
public final class MachineSpeed {
  private final List<Long> samples = new ArrayList<>();

  /** Records the probe's sample taken after the last iteration (or before the first). */
  public void add(long probeNanos) {
    if (probeNanos <= 0) {
      throw new IllegalArgumentException("probe sample must be > 0 ns, got " + probeNanos);
    }
    samples.add(probeNanos);
  }

  /** Iterations bracketed so far: one fewer than the samples. */
  public int iterations() {
    return Math.max(0, samples.size() - 1);
  }

  /**
   * The machine's usual speed over the run: the median sample (the lower middle one), 0 if none.
   */
  public long usual() {
    if (samples.isEmpty()) {
      return 0;
    }
    List<Long> sorted = new ArrayList<>(samples);
    sorted.sort(null);
    return sorted.get((sorted.size() - 1) / 2);
  }

  /**
   * For each bracketed iteration, how much slower than the machine's usual speed the slower of its
   * two samples ran (0.25: a quarter slower; 0 when not slower).
   */
  public List<Double> slowdowns() {
    List<Double> result = new ArrayList<>(iterations());
    long usual = usual();
    for (int i = 0; i < iterations(); i++) {
      long worse = Math.max(samples.get(i), samples.get(i + 1));
      result.add(Math.max(0, worse / (double) usual - 1));
    }
    return result;
  }
}
