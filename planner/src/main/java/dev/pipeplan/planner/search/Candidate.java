package dev.pipeplan.planner.search;

import dev.pipeplan.models.Checks;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.Comparator;
import java.util.Objects;

/**
 * One point of the search space.
 *
 * @param parallelism pp, dp, tp, cp
 * @param microBatchSize b
 * @param microBatchCount m, per replica
 * @param kind the schedule kind
 * @param virtualStages v
 * @param maxInFlightMicroBatches the in-flight cap of the memory-limited zero-bubble kind
 *     (zb-auto), 0 for none
 */
public record Candidate(
    Parallelism parallelism,
    int microBatchSize,
    int microBatchCount,
    ScheduleKind kind,
    int virtualStages,
    int maxInFlightMicroBatches) {

  /** A fixed order over candidates, for deterministic ties. */
  public static final Comparator<Candidate> ORDER =
      Comparator.comparingInt((Candidate c) -> c.parallelism().pp())
          .thenComparingInt(c -> c.parallelism().tp())
          .thenComparingInt(c -> c.parallelism().cp())
          .thenComparingInt(c -> c.parallelism().dp())
          .thenComparingInt(Candidate::microBatchSize)
          .thenComparingInt(c -> c.kind().ordinal())
          .thenComparingInt(Candidate::virtualStages)
          .thenComparingInt(Candidate::maxInFlightMicroBatches);

  public Candidate {
    Objects.requireNonNull(parallelism, "parallelism");
    Checks.positive("microBatchSize", microBatchSize);
    Checks.positive("microBatchCount", microBatchCount);
    Objects.requireNonNull(kind, "kind");
    Checks.positive("virtualStages", virtualStages);
    Checks.nonNegative("maxInFlightMicroBatches", maxInFlightMicroBatches);
  }

  /** A candidate without an in-flight cap. */
  public Candidate(
      Parallelism parallelism,
      int microBatchSize,
      int microBatchCount,
      ScheduleKind kind,
      int virtualStages) {
    this(parallelism, microBatchSize, microBatchCount, kind, virtualStages, 0);
  }

  /** The same candidate with another in-flight cap. */
  public Candidate withMaxInFlight(int cap) {
    return new Candidate(parallelism, microBatchSize, microBatchCount, kind, virtualStages, cap);
  }

  public int stageCount() {
    return parallelism.pp() * virtualStages;
  }

  public ScheduleRequest scheduleRequest() {
    return new ScheduleRequest(
        kind, parallelism.pp(), microBatchCount, virtualStages, 0, maxInFlightMicroBatches);
  }

  /** "pp=4 dp=2 tp=1 b=2 m=8 1f1b" (with " v=2" where v > 1, " cap=5" with an in-flight cap). */
  public String describe() {
    return parallelism
        + " b="
        + microBatchSize
        + " m="
        + microBatchCount
        + " "
        + kind.id()
        + (virtualStages > 1 ? " v=" + virtualStages : "")
        + (maxInFlightMicroBatches > 0 ? " cap=" + maxInFlightMicroBatches : "");
  }
}
