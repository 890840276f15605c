package dev.pipeplan.executor.core.runtime;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/** A monotonic nanosecond clock, injected so that tests can control time. */
@FunctionalInterface
public interface NanoClock {
  long nanoTime();

  /** {@link System#nanoTime()}: wall-clock time. */
  static NanoClock system() {
    return System::nanoTime;
  }

  /**
   * The calling thread's CPU time (user and system). A single-threaded op on an idle core takes as
   * much CPU time as wall time; on a busy machine the CPU time leaves out the time other processes
   * held the core. Only differences taken on one thread mean anything.
   */
  static NanoClock threadCpu() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (!threads.isCurrentThreadCpuTimeSupported()) {
      return system();
    }
    return threads::getCurrentThreadCpuTime;
  }
}
