package dev.pipeplan.executor.runtime;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A fixed piece of work (a 128 × 128 double matrix product, eight times: 34 MFLOP over a 384 KiB
 * working set, about 6 ms) run on every core at once, timed by each thread's CPU time. A virtual
 * machine's cores slow down in episodes that neither the load average nor the host's steal counter
 * shows (another tenant on the same physical core, memory bandwidth shared with it): on the 2-core
 * machine pipeplan is developed on, the same plain-Java loop took 12.6 ms of CPU time in its fast
 * state and 17–20 ms for a second or two at a time, with nothing else running. Sampling the probe
 * between iterations tells an iteration run in such an episode from one run at the machine's normal
 * speed ({@link MachineSpeed}).
 */
public final class SpeedProbe implements AutoCloseable {
  private static final int SIDE = 128;
  private static final int REPEATS = 8;
  private static final int WARM_UP_SAMPLES = 5;
  static final int ROUNDS = 3;

  private final int threads;
  private final ExecutorService pool;
  private final double[] left = new double[SIDE * SIDE];
  private final double[] right = new double[SIDE * SIDE];

  /** A probe on {@code threads} threads (one per core), warmed up so that the JIT has settled. */
  public SpeedProbe(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("probe threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    this.pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "pipeplan-speed-probe");
              t.setDaemon(true);
              return t;
            });
    for (int i = 0; i < left.length; i++) {
      left[i] = (i % 7) * 0.25;
      right[i] = (i % 5) * 0.5;
    }
    for (int i = 0; i < WARM_UP_SAMPLES; i++) {
      sampleNanos();
    }
  }

  /**
   * The machine's speed now: the fastest of {@link #ROUNDS} rounds, each the slowest thread's CPU
   * time for the work with every thread starting together. The first round after an iteration can
   * meet its tail (the collector, the native library's threads going idle); a slow episode of the
   * machine lasts seconds and slows every round.
   */
  public long sampleNanos() {
    long fastest = Long.MAX_VALUE;
    for (int r = 0; r < ROUNDS; r++) {
      fastest = Math.min(fastest, roundNanos());
    }
    return fastest;
  }

  private long roundNanos() {
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Future<Long>> results = new ArrayList<>(threads);
    for (int t = 0; t < threads; t++) {
      results.add(pool.submit(() -> timedWork(start)));
    }
    long slowest = 0;
    for (Future<Long> f : results) {
      try {
        slowest = Math.max(slowest, f.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while probing the machine's speed", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("the machine speed probe failed", e.getCause());
      }
    }
    return slowest;
  }

  private long timedWork(CyclicBarrier start) throws Exception {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    double[] product = new double[SIDE * SIDE];
    start.await();
    long before = mx.getCurrentThreadCpuTime();
    for (int r = 0; r < REPEATS; r++) {
      java.util.Arrays.fill(product, 0);
      for (int i = 0; i < SIDE; i++) {
        for (int k = 0; k < SIDE; k++) {
          double v = left[i * SIDE + k];
          for (int j = 0; j < SIDE; j++) {
            product[i * SIDE + j] += v * right[k * SIDE + j];
          }
        }
      }
    }
    long nanos = mx.getCurrentThreadCpuTime() - before;
    // Keep the product observable so that the work is not optimised away.
    if (product[SIDE + 1] == Double.MIN_VALUE) {
      throw new IllegalStateException("unexpected probe result");
    }
    return nanos;
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
