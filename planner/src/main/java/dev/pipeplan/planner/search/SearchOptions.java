package dev.pipeplan.planner.search;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.Profile;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What the search may vary and what it must keep. An empty value means "search it" (or "the
 * default"); a present one is kept.
 *
 * @param fixedPp the pipeline degree to use
 * @param fixedTp the tensor-parallel degree to use
 * @param fixedMicroBatches the micro-batch count m to use
 * @param fixedMicroBatchSize the micro-batch size b to use
 * @param fixedVirtualStages the virtual stages per device v to use; with v fixed the search keeps
 *     to the kinds that take it (and refuses listed kinds that do not)
 * @param kinds the schedule kinds to try; empty: every kind the generators support. The order does
 *     not matter: the search gives the same result for any order
 * @param maxVirtualStages the largest v tried for kinds with a free v (interleaved, looped BFS); 8
 *     by default, the one-layer chunks of Llama 3 405B's run (Dubey et al. 2024, section 3.3.2)
 * @param memoryLimitBytes the memory a device may use, replacing the device's own in either
 *     direction; empty for the device's own
 * @param top how many ranked candidates to keep
 * @param refine whether to refine the best candidates' partitions by simulated iteration time
 * @param refineTolerance how far above the optimal bottleneck a partition may be to be refined
 *     (0.03: 3%)
 * @param profile measured per-layer times to cost with; empty for the analytic cost model
 * @param threads how many threads evaluate candidates; empty for the available processors. The
 *     result is the same, byte for byte, whatever the count
 * @param optimizerPostValidation whether candidates of the kinds that allow it ({@link
 *     ScheduleKind#allowsOptimizerPostValidation}) are generated and priced with the optimizer step
 *     post-validated: by the steady-state period of back-to-back iterations; the other kinds stay
 *     synchronous
 */
public record SearchOptions(
    OptionalInt fixedPp,
    OptionalInt fixedTp,
    OptionalInt fixedMicroBatches,
    OptionalInt fixedMicroBatchSize,
    OptionalInt fixedVirtualStages,
    List<ScheduleKind> kinds,
    int maxVirtualStages,
    OptionalLong memoryLimitBytes,
    int top,
    boolean refine,
    double refineTolerance,
    Optional<Profile> profile,
    OptionalInt threads,
    boolean optimizerPostValidation) {

  /** The most threads a search may use. */
  public static final int MAX_THREADS = 256;

  public SearchOptions {
    positiveIfPresent("pp", fixedPp);
    positiveIfPresent("tp", fixedTp);
    positiveIfPresent("microbatches", fixedMicroBatches);
    positiveIfPresent("microbatch size", fixedMicroBatchSize);
    positiveIfPresent("virtual stages", fixedVirtualStages);
    kinds = List.copyOf(Objects.requireNonNull(kinds, "kinds"));
    Checks.positive("max virtual stages", maxVirtualStages);
    Objects.requireNonNull(memoryLimitBytes, "memoryLimitBytes");
    memoryLimitBytes.ifPresent(bytes -> Checks.positive("memory limit", bytes));
    Checks.positive("top", top);
    Checks.nonNegative("refine tolerance", refineTolerance);
    Objects.requireNonNull(profile, "profile");
    positiveIfPresent("threads", threads);
    if (threads.isPresent() && threads.getAsInt() > MAX_THREADS) {
      throw new BadInputException(
          "threads (" + threads.getAsInt() + ") is above the limit of " + MAX_THREADS);
    }
  }

  private static void positiveIfPresent(String field, OptionalInt value) {
    Objects.requireNonNull(value, field);
    value.ifPresent(v -> Checks.positive(field, v));
  }

  /** Search everything, keep the top 5, refine within 3%, on every available processor. */
  public static SearchOptions defaults() {
    return new SearchOptions(
        OptionalInt.empty(),
        OptionalInt.empty(),
        OptionalInt.empty(),
        OptionalInt.empty(),
        OptionalInt.empty(),
        List.of(),
        8,
        OptionalLong.empty(),
        5,
        true,
        0.03,
        Optional.empty(),
        OptionalInt.empty(),
        false);
  }

  public SearchOptions withPp(int pp) {
    return new SearchOptions(
        OptionalInt.of(pp),
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
        threads,
        optimizerPostValidation);
  }

  public SearchOptions withTp(int tp) {
    return new SearchOptions(
        fixedPp,
        OptionalInt.of(tp),
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
        threads,
        optimizerPostValidation);
  }

  public SearchOptions withMicroBatches(int m) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        OptionalInt.of(m),
        fixedMicroBatchSize,
        fixedVirtualStages,
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        refine,
        refineTolerance,
        profile,
        threads,
        optimizerPostValidation);
  }

  public SearchOptions withMicroBatchSize(int b) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        fixedMicroBatches,
        OptionalInt.of(b),
        fixedVirtualStages,
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        refine,
        refineTolerance,
        profile,
        threads,
        optimizerPostValidation);
  }

  public SearchOptions withVirtualStages(int v) {
    return new SearchOptions(
        fixedPp,
        fixedTp,
        fixedMicroBatches,
        fixedMicroBatchSize,
        OptionalInt.of(v),
        kinds,
        maxVirtualStages,
        memoryLimitBytes,
        top,
        refine,
        refineTolerance,
        profile,
        threads,
        optimizerPostValidation);
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
        threads,
        optimizerPostValidation);
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
        OptionalLong.of(bytes),
        top,
        refine,
        refineTolerance,
        profile,
        threads,
        optimizerPostValidation);
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
        threads,
        optimizerPostValidation);
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
        threads,
        optimizerPostValidation);
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
        Optional.of(p),
        threads,
        optimizerPostValidation);
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
        OptionalInt.of(count),
        optimizerPostValidation);
  }

  /** The same options, with the optimizer step post-validated where the kind allows it, or not. */
  public SearchOptions withOptimizerPostValidation(boolean on) {
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
        threads,
        on);
  }

  /** Whether a candidate of this kind is priced with the optimizer step post-validated. */
  public boolean postValidates(ScheduleKind kind) {
    return optimizerPostValidation && kind.allowsOptimizerPostValidation();
  }

  /** The threads the search uses: {@link #threads}, or the available processors. */
  public int threadCount() {
    return threads.orElse(Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors()));
  }

  /** What the search kept and varied, in one line for a plan's provenance. */
  public String describe() {
    StringBuilder b = new StringBuilder();
    b.append("pp ").append(fixedOrSearched(fixedPp));
    b.append(", tp ").append(fixedOrSearched(fixedTp));
    b.append(", m ").append(fixedOrSearched(fixedMicroBatches));
    b.append(", b ").append(fixedOrSearched(fixedMicroBatchSize));
    b.append(", v ").append(fixedOrSearched(fixedVirtualStages)).append(" (at most ");
    b.append(maxVirtualStages).append(')');
    b.append(", schedules ");
    if (kinds.isEmpty()) {
      b.append("all");
    } else {
      List<String> ids = new java.util.ArrayList<>();
      for (ScheduleKind k : kinds) {
        ids.add(k.id());
      }
      java.util.Collections.sort(ids);
      b.append(String.join(",", ids));
    }
    b.append(", memory limit ")
        .append(
            memoryLimitBytes.isPresent()
                ? memoryLimitBytes.getAsLong() + " bytes"
                : "each device's own");
    b.append(", top ").append(top);
    b.append(
        refine ? ", refined within " + Math.round(refineTolerance * 100) + "%" : ", not refined");
    if (optimizerPostValidation) {
      b.append(", optimizer step post-validated where the kind allows it");
    }
    return b.toString();
  }

  private static String fixedOrSearched(OptionalInt value) {
    return value.isPresent() ? String.valueOf(value.getAsInt()) : "searched";
  }
}
