package dev.pipeplan.executor.core.profile;

import dev.pipeplan.executor.core.ops.Ops;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The profiler's timing interface: numbered points in time marked on an {@code Ops} after the work
 * given to it so far, read once the work is done. A backend whose ops return when done reads a
 * clock ({@link #clock}); a backend with streams records events on them.
 */
public interface LayerMarks {
  /** How many points {@link #clock} marks hold: 0 .. MAX_POINTS - 1. */
  int MAX_POINTS = 8;

  /** Marks {@code point} on {@code ops} after the work enqueued on it so far. */
  void mark(Ops ops, int point);

  /** Waits for all work on all {@code streams}; nothing to do where ops return when done. */
  void synchronize(List<Ops> streams);

  /** Nanoseconds from mark {@code from} to mark {@code to}, as last marked; never negative. */
  long elapsedNanos(int from, int to);

  /**
   * Marks read from {@code clock} on the marking thread: for ops that return when done (the CPU's
   * thread CPU time or wall clock, {@link System#nanoTime} for {@link
   * dev.pipeplan.executor.core.ops.HostOps} in tests). One instance per measuring thread.
   */
  static LayerMarks clock(LongSupplier clock) {
    Objects.requireNonNull(clock, "clock");
    return new LayerMarks() {
      private final long[] at = new long[MAX_POINTS];

      @Override
      public void mark(Ops ops, int point) {
        at[point] = clock.getAsLong();
      }

      @Override
      public void synchronize(List<Ops> streams) {}

      @Override
      public long elapsedNanos(int from, int to) {
        return Math.max(0, at[to] - at[from]);
      }
    };
  }
}
