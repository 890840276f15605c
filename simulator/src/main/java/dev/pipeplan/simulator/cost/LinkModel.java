package dev.pipeplan.simulator.cost;

/** Time to move bytes between two pipeline devices; 0 between a device and itself. */
@FunctionalInterface
public interface LinkModel {
  long transferNanos(int fromDevice, int toDevice, long bytes);

  /** No communication cost at all (the closed-form tests). */
  static LinkModel free() {
    return (from, to, bytes) -> 0L;
  }
}
