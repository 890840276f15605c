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

  /** {@code f} of each item, in the items' order; an exception from {@code f} is rethrown. */
  <T, R> List<R> map(List<T> items, Function<? super T, ? extends R> f) {
    List<R> out = new ArrayList<>(items.size());
    if (pool == null || items.size() < 2) {
      for (T item : items) {
        out.add(f.apply(item));
      }
      return out;
    }
    List<Future<? extends R>> futures = new ArrayList<>(items.size());
    for (T item : items) {
      futures.add(pool.submit(() -> f.apply(item)));
    }
    try {
      for (Future<? extends R> future : futures) {
        out.add(future.get());
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
