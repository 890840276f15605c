package dev.pipeplan.executor.runtime;

/** A monotonic nanosecond clock, injected so that tests can control time. */
@FunctionalInterface
public interface NanoClock {
  long nanoTime();

  /** {@link System#nanoTime()}. */
  static NanoClock system() {
    return System::nanoTime;
  }
}
