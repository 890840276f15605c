package dev.pipeplan.planner;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import dev.pipeplan.models.Checks;

/**
 * How much work a search did. Every candidate considered is counted once among pruned, over memory
 * (without a simulation), simulated or not runnable; {@code candidatesOverMemory} also holds the
 * simulated ones that did not fit ({@code candidatesSimulatedOverMemory}).
 *
 * @param candidatesConsidered (pp, dp, tp, b, m, kind, v) combinations that passed the structural
 *     checks
 * @param candidatesSimulated candidates that were partitioned and simulated
 * @param candidatesPruned candidates skipped because their lower bound could not beat the best so
 *     far
 * @param candidatesOverMemory candidates with no partition that fits in memory, simulated or not
 * @param candidatesSimulatedOverMemory of those, the ones simulated before they were found over
 *     memory (absent from the file when 0, so plans written before it keep their bytes)
 * @param candidatesNotRunnable candidates whose schedule kind cannot run their shape (no schedule
 *     or partition problem for it; absent from the file when 0)
 */
public record SearchStats(
    long candidatesConsidered,
    long candidatesSimulated,
    long candidatesPruned,
    long candidatesOverMemory,
    @JsonSetter(nulls = Nulls.AS_EMPTY) @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        long candidatesSimulatedOverMemory,
    @JsonSetter(nulls = Nulls.AS_EMPTY) @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        long candidatesNotRunnable) {
  public SearchStats {
    Checks.nonNegative("candidatesConsidered", candidatesConsidered);
    Checks.nonNegative("candidatesSimulated", candidatesSimulated);
    Checks.nonNegative("candidatesPruned", candidatesPruned);
    Checks.nonNegative("candidatesOverMemory", candidatesOverMemory);
    Checks.nonNegative("candidatesSimulatedOverMemory", candidatesSimulatedOverMemory);
    Checks.nonNegative("candidatesNotRunnable", candidatesNotRunnable);
  }

  /** Stats without the two counts a plan written before them lacks. */
  public SearchStats(long considered, long simulated, long pruned, long overMemory) {
    this(considered, simulated, pruned, overMemory, 0, 0);
  }

  /** Stats of a plan that was not searched (fixed by hand). */
  public static SearchStats none() {
    return new SearchStats(0, 0, 0, 0);
  }

  /** Over memory without a simulation (the memory bound or the partition DP said so). */
  public long candidatesOverMemoryUnsimulated() {
    return Math.max(0, candidatesOverMemory - candidatesSimulatedOverMemory);
  }

  /**
   * "617 candidates: 5 simulated (1 of them over memory), 0 pruned by the lower bound, 489 over
   * memory without a simulation, 123 that their schedule kind cannot run": each candidate counted
   * once, so the parts add up to the whole.
   */
  public String summary() {
    StringBuilder b = new StringBuilder();
    b.append(candidatesConsidered)
        .append(candidatesConsidered == 1 ? " candidate: " : " candidates: ")
        .append(candidatesSimulated)
        .append(" simulated");
    if (candidatesSimulatedOverMemory > 0) {
      b.append(" (").append(candidatesSimulatedOverMemory).append(" of them over memory)");
    }
    b.append(", ")
        .append(candidatesPruned)
        .append(" pruned by the lower bound, ")
        .append(candidatesOverMemoryUnsimulated())
        .append(" over memory")
        .append(candidatesSimulatedOverMemory > 0 ? " without a simulation" : "");
    if (candidatesNotRunnable > 0) {
      b.append(", ").append(candidatesNotRunnable).append(" that their schedule kind cannot run");
    }
    return b.toString();
  }
}
