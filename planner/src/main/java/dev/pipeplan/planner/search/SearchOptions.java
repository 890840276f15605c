package dev.pipeplan.planner.search;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.Profile;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.List;
import java.util.Objects;

/**
 * What the search may vary and what it must keep. A zero means "search it".
 *
 * @param fixedPp the pipeline degree to use, 0 to search
 * @param fixedTp the tensor-parallel degree to use, 0 to search
 * @param fixedMicroBatches the micro-batch count m to use, 0 to search
 * @param fixedMicroBatchSize the micro-batch size b to use, 0 to search
 * @param fixedVirtualStages the virtual stages per device v to use, 0 to search; with v fixed the
 *     search keeps to the kinds that take it (and refuses listed kinds that do not)
 * @param kinds the schedule kinds to try; empty: every kind the generators support. The order does
 *     not matter: the search gives the same result for any order
 * @param maxVirtualStages the largest v tried for kinds with a free v (interleaved, looped BFS)
 * @param memoryLimitBytes the memory a device may use, 0 for the device's own memory; it replaces
 *     the device's memory in either direction
 * @param top how many ranked candidates to keep
 * @param refine whether to refine the best candidates' partitions by simulated iteration time
 * @param refineTolerance how far above the optimal bottleneck a partition may be to be refined
 *     (0.03: 3%)
 * @param profile measured per-layer times to cost with, or {@code null}
 * @param threads how many threads evaluate candidates, 0 for the available processors; the result
 *     is the same, byte for byte, whatever the count
 */
public record SearchOptions(
    int fixedPp,
    int fixedTp,
    int fixedMicroBatches,
    int fixedMicroBatchSize,
    int fixedVirtualStages,
    List<ScheduleKind> kinds,
    int maxVirtualStages,
    long memoryLimitBytes,
    int top,
    boolean refine,
    double refineTolerance,
    Profile profile,
    int threads) {

  public SearchOptions {
    Checks.nonNegative("pp", fixedPp);
    Checks.nonNegative("tp", fixedTp);
    Checks.nonNegative("microbatches", fixedMicroBatches);
    Checks.nonNegative("microbatch size", fixedMicroBatchSize);
    Checks.nonNegative("virtual stages", fixedVirtualStages);
    kinds = List.copyOf(Objects.requireNonNull(kinds, "kinds"));
    Checks.positive("max virtual stages", maxVirtualStages);
    Checks.nonNegative("memory limit", memoryLimitBytes);
    Checks.positive("top", top);
    Checks.nonNegative("refine tolerance", refineTolerance);
    Checks.nonNegative("threads", threads);
    if (threads > MAX_THREADS) {
      throw new BadInputException("threads (" + threads + ") is above the limit of " + MAX_THREADS);
    }
  }

  /** The most threads a search may use. */
  public static final int MAX_THREADS = 256;

  /** Search everything, keep the top 5, refine within 3%. */
  public static SearchOptions defaults() {
    return new SearchOptions(0, 0, 0, 0, 0, List.of(), 4, 0, 5, true, 0.03, null, 0);
  }

  public SearchOptions withPp(int pp) {
    return new SearchOptions(
        pp,
        fixedTp,
        fixedMicroBatches,
        fixedMicroBatchSize,
        fixedVirtualStages,
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        refine,
        refineTolerance,
        profile,
        threads);
  }

  public SearchOptions withTp(int tp) {
    return new SearchOptions(
        fixedPp,
        tp,
        fixedMicroBatches,
        fixedMicroBatchSize,
        fixedVirtualStages,
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        refine,
        refineTolerance,
        profile,
        threads);
  }

  public SearchOptions withMicroBatches(int m) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        m,
        fixedMicroBatchSize,
        fixedVirtualStages,
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        refine,
        refineTolerance,
        profile,
        threads);
  }

  public SearchOptions withMicroBatchSize(int b) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        fixedMicroBatches,
        b,
        fixedVirtualStages,
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        refine,
        refineTolerance,
        profile,
        threads);
  }

  public SearchOptions withVirtualStages(int v) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        fixedMicroBatches,
        fixedMicroBatchSize,
        v,
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        refine,
        refineTolerance,
        profile,
        threads);
  }

  public SearchOptions withKinds(List<ScheduleKind> newKinds) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        fixedMicroBatches,
        fixedMicroBatchSize,
        fixedVirtualStages,
        newKinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        refine,
        refineTolerance,
        profile,
        threads);
  }

  public SearchOptions withMemoryLimitBytes(long bytes) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        fixedMicroBatches,
        fixedMicroBatchSize,
        fixedVirtualStages,
        kinds,
        maxVirtualStages,
        bytes,
        top,
        refine,
        refineTolerance,
        profile,
        threads);
  }

  public SearchOptions withTop(int k) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        fixedMicroBatches,
        fixedMicroBatchSize,
        fixedVirtualStages,
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        k,
        refine,
        refineTolerance,
        profile,
        threads);
  }

  public SearchOptions withRefine(boolean on) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        fixedMicroBatches,
        fixedMicroBatchSize,
        fixedVirtualStages,
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        on,
        refineTolerance,
        profile,
        threads);
  }

  public SearchOptions withProfile(Profile p) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        fixedMicroBatches,
        fixedMicroBatchSize,
        fixedVirtualStages,
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        refine,
        refineTolerance,
        p,
        threads);
  }

  public SearchOptions withThreads(int count) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        fixedMicroBatches,
        fixedMicroBatchSize,
        fixedVirtualStages,
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        refine,
        refineTolerance,
        profile,
        count);
  }

  /** The threads the search uses: {@link #threads}, or the available processors when it is 0. */
  public int threadCount() {
    return threads > 0
        ? threads
        : Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors());
  }
}
