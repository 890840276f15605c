package dev.pipeplan.planner.search;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Maps a list on a fixed number of threads and returns the results in the list's order, so that
 * whatever combines them sees the same sequence with 1 thread or 16. With one thread it runs on the
 * caller's thread and starts none. The caller decides nothing from completion order.
 */
final class OrderedParallel implements AutoCloseable {
  private final ExecutorService pool;

  OrderedParallel(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    if (threads == 1) {
      pool = null;
      return;
    }
    AtomicInteger next = new AtomicInteger();
    pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "pipeplan-search-" + next.getAndIncrement());
              t.setDaemon(true);
              return t;
            });
  }

  /** Tasks per thread a call is cut into: enough to even out items of unequal cost. */
  private static final int SLICES_PER_THREAD = 8;

  private final int threads;

  /**
   * {@code f} of each item, in the items' order; an exception from {@code f} is rethrown. The items
   * are cut into at most {@code 8 x threads} contiguous slices, one task each, so that a long list
   * of cheap items does not pay a task per item.
   */
  <T, R> List<R> map(List<T> items, Function<? super T, ? extends R> f) {
    List<R> out = new ArrayList<>(items.size());
    if (pool == null || items.size() < 2) {
      for (T item : items) {
        out.add(f.apply(item));
      }
      return out;
    }
    int slices = Math.min(items.size(), threads * SLICES_PER_THREAD);
    List<Future<List<R>>> futures = new ArrayList<>(slices);
    for (int k = 0; k < slices; k++) {
      List<T> slice =
          items.subList(
              (int) ((long) items.size() * k / slices),
              (int) ((long) items.size() * (k + 1) / slices));
      futures.add(
          pool.submit(
              () -> {
                List<R> results = new ArrayList<>(slice.size());
                for (T item : slice) {
                  results.add(f.apply(item));
                }
                return results;
              }));
    }
    try {
      for (Future<List<R>> future : futures) {
        out.addAll(future.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      futures.forEach(future -> future.cancel(true));
      throw new IllegalStateException("search interrupted", e);
    } catch (ExecutionException e) {
      futures.forEach(future -> future.cancel(true));
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(cause);
    }
    return out;
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
