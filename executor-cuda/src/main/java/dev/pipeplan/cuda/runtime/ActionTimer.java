package dev.pipeplan.cuda.runtime;

/**
 * How the pipeline orders and times actions across devices: on the GPU with events on the devices'
 * streams; on the host (tests) with the wall clock, where the single thread already runs everything
 * in issue order.
 */
public interface ActionTimer extends AutoCloseable {
  /** Marks the iteration's start on every device. */
  void begin();

  /** Makes device {@code device}'s later work wait for the end of issued action {@code index}. */
  void waitFor(int device, int index);

  void start(int device, int index);

  void end(int device, int index);

  /**
   * Waits for all work; returns {starts, ends} in nanoseconds from the iteration's start, by issue
   * index.
   */
  long[][] finish();

  @Override
  default void close() {}

  /** The host version: System.nanoTime around each action. */
  static ActionTimer host(int actions) {
    return new ActionTimer() {
      private final long[] starts = new long[actions];
      private final long[] ends = new long[actions];
      private long origin;

      @Override
      public void begin() {
        origin = System.nanoTime();
      }

      @Override
      public void waitFor(int device, int index) {}

      @Override
      public void start(int device, int index) {
        starts[index] = System.nanoTime() - origin;
      }

      @Override
      public void end(int device, int index) {
        ends[index] = Math.max(starts[index], System.nanoTime() - origin);
      }

      @Override
      public long[][] finish() {
        return new long[][] {starts.clone(), ends.clone()};
      }
    };
  }
}
