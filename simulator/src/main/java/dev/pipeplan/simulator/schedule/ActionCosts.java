package dev.pipeplan.simulator.schedule;

import dev.pipeplan.models.BadInputException;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The durations a cost-aware generator plans with, per global virtual stage and per micro-batch: F,
 * I and W, and the transfer time in front of each stage's F (from the previous stage) and in front
 * of its I (from the next stage), 0 where both stages share a device. These are the numbers the
 * simulator uses for the same schedule ({@code engine.GeneratorCosts} builds them from stage
 * costs), so a generator can time its own candidate orders exactly. The empty instance, {@link
 * #UNSPECIFIED}, means "no costs given": cost-aware kinds then plan with F = I = W = 1 and free
 * links.
 *
 * @param forwardNanos F per stage
 * @param backwardInputNanos I per stage
 * @param backwardWeightNanos W per stage
 * @param forwardTransferNanos per stage s, the time from F(s-1)'s end until F(s) may start (0 for
 *     stage 0)
 * @param backwardTransferNanos per stage s, the time from I(s+1)'s end until I(s) may start (0 for
 *     the last stage)
 */
public record ActionCosts(
    List<Long> forwardNanos,
    List<Long> backwardInputNanos,
    List<Long> backwardWeightNanos,
    List<Long> forwardTransferNanos,
    List<Long> backwardTransferNanos) {

  /** No costs given. */
  public static final ActionCosts UNSPECIFIED =
      new ActionCosts(List.of(), List.of(), List.of(), List.of(), List.of());

  public ActionCosts {
    forwardNanos = checked("forwardNanos", forwardNanos);
    backwardInputNanos = checked("backwardInputNanos", backwardInputNanos);
    backwardWeightNanos = checked("backwardWeightNanos", backwardWeightNanos);
    forwardTransferNanos = checked("forwardTransferNanos", forwardTransferNanos);
    backwardTransferNanos = checked("backwardTransferNanos", backwardTransferNanos);
    int n = forwardNanos.size();
    for (List<Long> other :
        List.of(
            backwardInputNanos, backwardWeightNanos, forwardTransferNanos, backwardTransferNanos)) {
      if (other.size() != n) {
        throw new BadInputException(
            "action costs need one entry per stage in every list; got "
                + n
                + " forward times but a list of "
                + other.size());
      }
    }
  }

  /** Every stage the same F, I and W, free links. */
  public static ActionCosts uniform(
      int stageCount, long forwardNanos, long backwardInputNanos, long backwardWeightNanos) {
    List<Long> zero = Collections.nCopies(stageCount, 0L);
    return new ActionCosts(
        Collections.nCopies(stageCount, forwardNanos),
        Collections.nCopies(stageCount, backwardInputNanos),
        Collections.nCopies(stageCount, backwardWeightNanos),
        zero,
        zero);
  }

  /** Whether costs were given (every list empty means not). */
  public boolean specified() {
    return !forwardNanos.isEmpty();
  }

  /** Stages described (0 when unspecified). */
  public int stageCount() {
    return forwardNanos.size();
  }

  /** These costs, or F = I = W = 1 on free links when none were given. */
  public ActionCosts orUnit(int stageCount) {
    if (!specified()) {
      return uniform(stageCount, 1, 1, 1);
    }
    if (stageCount() != stageCount) {
      throw new BadInputException(
          "action costs describe "
              + stageCount()
              + " stages but the schedule has "
              + stageCount
              + " (p*v). Maybe the costs come from another partition.");
    }
    return this;
  }

  private static List<Long> checked(String field, List<Long> values) {
    List<Long> copy = List.copyOf(Objects.requireNonNull(values, field));
    for (int s = 0; s < copy.size(); s++) {
      if (copy.get(s) < 0) {
        throw new BadInputException(
            "action costs: " + field + "[" + s + "] is " + copy.get(s) + "; it must be >= 0");
      }
    }
    return copy;
  }
}
