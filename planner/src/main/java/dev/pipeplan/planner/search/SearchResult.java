package dev.pipeplan.planner.search;

import dev.pipeplan.planner.SearchStats;
import java.util.List;
import java.util.Objects;

/**
 * What a search found.
 *
 * @param ranked the fastest candidates that fit, best first (at most the options' top)
 * @param pareto the candidates no simulated candidate beats in both iteration time and peak memory,
 *     fastest first
 * @param reason one sentence on why the winner beat the runner-up
 * @param stats how much work the search did
 * @param evaluator what costed the candidates, to cost more partitions of them (baselines) or build
 *     plans
 */
public record SearchResult(
    List<Evaluation> ranked,
    List<Evaluation> pareto,
    String reason,
    SearchStats stats,
    CandidateEvaluator evaluator) {
  public SearchResult {
    ranked = List.copyOf(Objects.requireNonNull(ranked, "ranked"));
    if (ranked.isEmpty()) {
      throw new IllegalArgumentException("a search result has at least one candidate");
    }
    pareto = List.copyOf(Objects.requireNonNull(pareto, "pareto"));
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(stats, "stats");
    Objects.requireNonNull(evaluator, "evaluator");
  }

  public Evaluation best() {
    return ranked.get(0);
  }
}
