package dev.pipeplan.executor.core.runtime;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
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
 * A fixed piece of work run on every core at once, timed by each thread's CPU time: the workload's
 * own kind when the probe is given an {@link Ops} (six 256 × 256 × 256 single-precision products,
 * as the CPU executor's layers run through OpenBLAS), otherwise a plain-Java loop (a 128 × 128
 * double product, eight times). A virtual machine's cores slow down in episodes that neither the
 * load average nor the host's steal counter shows (another tenant on the same physical core, memory
 * bandwidth shared with it): on the 2-core machine pipeplan is developed on, a plain-Java loop took
 * 12.6 ms of CPU time in its usual state and 17–20 ms for a second or two at a time, with nothing
 * else running. Sampling the probe between iterations tells an iteration run in such an episode
 * from one run at the machine's usual speed ({@link MachineSpeed}).
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
  private final Ops ops;
  private final ThreadLocal<Tensor[]> operands = new ThreadLocal<>();
  private final List<Tensor> allocated = java.util.Collections.synchronizedList(new ArrayList<>());

  /** A probe on {@code threads} threads (one per core), warmed up so that the JIT has settled. */
  public SpeedProbe(int threads) {
    this(threads, null);
  }

  /**
   * A probe whose work is the workload's own kind: products through {@code ops} (six 256 × 256 ×
   * 256 single-precision GEMMs per round), or the plain-Java loop when {@code ops} is null.
   */
  public SpeedProbe(int threads, Ops ops) {
    this.ops = ops;
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

  /**
   * The calling thread's CPU time, or the wall clock where the JVM cannot read a thread's CPU time
   * (then a busy machine shows as a slow one, which the run's other noise checks name).
   */
  private static long threadNanos() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    return mx.isCurrentThreadCpuTimeSupported() ? mx.getCurrentThreadCpuTime() : System.nanoTime();
  }

  private long timedWork(CyclicBarrier start) throws Exception {
    if (ops != null) {
      return timedProducts(start);
    }
    double[] product = new double[SIDE * SIDE];
    start.await();
    long before = threadNanos();
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
    // At least 1 ns: a coarse clock can read the same value before and after.
    long nanos = Math.max(1, threadNanos() - before);
    // Keep the product observable so that the work is not optimised away.
    if (product[SIDE + 1] == Double.MIN_VALUE) {
      throw new IllegalStateException("unexpected probe result");
    }
    return nanos;
  }

  private static final int GEMM_SIDE = 256;
  private static final int GEMM_REPEATS = 6;

  private long timedProducts(CyclicBarrier start) throws Exception {
    Tensor[] t = operands.get();
    if (t == null) {
      float[] values = new float[GEMM_SIDE * GEMM_SIDE];
      for (int i = 0; i < values.length; i++) {
        values[i] = (i % 11) * 0.125f;
      }
      t = new Tensor[] {ops.upload(values), ops.upload(values), ops.upload(values)};
      allocated.addAll(List.of(t));
      operands.set(t);
    }
    start.await();
    long before = threadNanos();
    for (int r = 0; r < GEMM_REPEATS; r++) {
      ops.matmul(false, false, GEMM_SIDE, GEMM_SIDE, GEMM_SIDE, t[0], t[1], 0f, t[2]);
    }
    return Math.max(1, threadNanos() - before);
  }

  /** Stops the threads and frees the products' operands. */
  @Override
  public void close() {
    pool.shutdownNow();
    try {
      pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (allocated) {
      for (Tensor t : allocated) {
        ops.free(t);
      }
      allocated.clear();
    }
  }
}
