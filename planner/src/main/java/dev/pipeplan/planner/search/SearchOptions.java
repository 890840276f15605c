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
 * @param contextParallel cp, the context-parallel degree every candidate uses (1: none): each
 *     sequence split over cp devices, which the search then treats as one; 0 searches it (1 and the
 *     powers of two that split the sequence and divide the devices)
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
    boolean optimizerPostValidation,
    int contextParallel) {

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
    Checks.nonNegative("context-parallel degree", contextParallel);
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
        false,
        1);
  }

  /** The same options with every candidate at context-parallel degree cp; 0 searches it. */
  public SearchOptions withContextParallel(int cp) {
    return with(c -> c.contextParallel = cp);
  }

  public SearchOptions withPp(int pp) {
    return with(c -> c.fixedPp = OptionalInt.of(pp));
  }

  public SearchOptions withTp(int tp) {
    return with(c -> c.fixedTp = OptionalInt.of(tp));
  }

  public SearchOptions withMicroBatches(int m) {
    return with(c -> c.fixedMicroBatches = OptionalInt.of(m));
  }

  public SearchOptions withMicroBatchSize(int b) {
    return with(c -> c.fixedMicroBatchSize = OptionalInt.of(b));
  }

  public SearchOptions withVirtualStages(int v) {
    return with(c -> c.fixedVirtualStages = OptionalInt.of(v));
  }

  public SearchOptions withKinds(List<ScheduleKind> newKinds) {
    return with(c -> c.kinds = newKinds);
  }

  public SearchOptions withMemoryLimitBytes(long bytes) {
    return with(c -> c.memoryLimitBytes = OptionalLong.of(bytes));
  }

  public SearchOptions withTop(int k) {
    return with(c -> c.top = k);
  }

  public SearchOptions withRefine(boolean on) {
    return with(c -> c.refine = on);
  }

  public SearchOptions withProfile(Profile p) {
    return with(c -> c.profile = Optional.of(p));
  }

  public SearchOptions withThreads(int count) {
    return with(c -> c.threads = OptionalInt.of(count));
  }

  /** The same options, with the optimizer step post-validated where the kind allows it, or not. */
  public SearchOptions withOptimizerPostValidation(boolean on) {
    return with(c -> c.optimizerPostValidation = on);
  }

  /** A copy with the components {@code change} sets; the canonical constructor checks them. */
  private SearchOptions with(java.util.function.Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return new SearchOptions(
        c.fixedPp,
        c.fixedTp,
        c.fixedMicroBatches,
        c.fixedMicroBatchSize,
        c.fixedVirtualStages,
        c.kinds,
        c.maxVirtualStages,
        c.memoryLimitBytes,
        c.top,
        c.refine,
        c.refineTolerance,
        c.profile,
        c.threads,
        c.optimizerPostValidation,
        c.contextParallel);
  }

  /** The components of a {@link SearchOptions}, to change some of them in a copy. */
  private static final class Copy {
    OptionalInt fixedPp;
    OptionalInt fixedTp;
    OptionalInt fixedMicroBatches;
    OptionalInt fixedMicroBatchSize;
    OptionalInt fixedVirtualStages;
    List<ScheduleKind> kinds;
    int maxVirtualStages;
    OptionalLong memoryLimitBytes;
    int top;
    boolean refine;
    double refineTolerance;
    Optional<Profile> profile;
    OptionalInt threads;
    boolean optimizerPostValidation;
    int contextParallel;

    Copy(SearchOptions o) {
      fixedPp = o.fixedPp;
      fixedTp = o.fixedTp;
      fixedMicroBatches = o.fixedMicroBatches;
      fixedMicroBatchSize = o.fixedMicroBatchSize;
      fixedVirtualStages = o.fixedVirtualStages;
      kinds = o.kinds;
      maxVirtualStages = o.maxVirtualStages;
      memoryLimitBytes = o.memoryLimitBytes;
      top = o.top;
      refine = o.refine;
      refineTolerance = o.refineTolerance;
      profile = o.profile;
      threads = o.threads;
      optimizerPostValidation = o.optimizerPostValidation;
      contextParallel = o.contextParallel;
    }
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
    if (contextParallel != 1) {
      b.append(", cp ").append(contextParallel == 0 ? "searched" : String.valueOf(contextParallel));
    }
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
