package dev.pipeplan.planner;

import dev.pipeplan.models.Checks;

/**
 * How much work a search did.
 *
 * @param candidatesConsidered (pp, dp, tp, b, m, kind, v) combinations that passed the structural
 *     checks
 * @param candidatesSimulated candidates that were partitioned and simulated
 * @param candidatesPruned candidates skipped because their lower bound could not beat the best so
 *     far
 * @param candidatesOverMemory candidates with no partition that fits in memory
 */
public record SearchStats(
    long candidatesConsidered,
    long candidatesSimulated,
    long candidatesPruned,
    long candidatesOverMemory) {
  public SearchStats {
    Checks.nonNegative("candidatesConsidered", candidatesConsidered);
    Checks.nonNegative("candidatesSimulated", candidatesSimulated);
    Checks.nonNegative("candidatesPruned", candidatesPruned);
    Checks.nonNegative("candidatesOverMemory", candidatesOverMemory);
  }

  /** Stats of a plan that was not searched (fixed by hand). */
  public static SearchStats none() {
    return new SearchStats(0, 0, 0, 0);
  }
}
