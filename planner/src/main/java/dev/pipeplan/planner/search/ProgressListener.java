package dev.pipeplan.planner.search;

/** Told how far a search has got; the search calls it from its own thread only. */
@FunctionalInterface
public interface ProgressListener {
  /** {@code done} of {@code total} candidates handled (simulated or pruned). */
  void progress(long done, long total);

  /** Called once when the search has finished. */
  default void finished() {}

  /** A listener that ignores everything. */
  static ProgressListener none() {
    return (done, total) -> {};
  }
}
