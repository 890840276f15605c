package dev.pipeplan.planner.search;

import dev.pipeplan.planner.partition.ReferencePartitioners;
import dev.pipeplan.simulator.engine.CompiledSchedule;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The reference strategies' partitions of the winning candidate (same pp, dp, tp, b, m, schedule
 * and v), priced and simulated exactly like the winner, so the comparison isolates the partition.
 */
public final class Baselines {
  private Baselines() {}

  /**
   * One reference strategy's result.
   *
   * @param strategy the strategy
   * @param evaluation its partition, simulated
   */
  public record Result(ReferencePartitioners.Strategy strategy, Evaluation evaluation) {
    public Result {
      Objects.requireNonNull(strategy, "strategy");
      Objects.requireNonNull(evaluation, "evaluation");
    }
  }

  /** Every reference strategy on the search's winning candidate, in the strategies' order. */
  public static List<Result> compare(SearchResult search) {
    return compare(search.evaluator(), search.best().candidate());
  }

  /** Every reference strategy on one candidate. */
  public static List<Result> compare(CandidateEvaluator evaluator, Candidate candidate) {
    CompiledSchedule compiled = evaluator.schedule(candidate.scheduleRequest()).orElseThrow();
    LayerCosts costs = evaluator.layerCosts(candidate.microBatchSize(), candidate.parallelism());
    List<Result> out = new ArrayList<>();
    for (ReferencePartitioners.Strategy s : ReferencePartitioners.Strategy.values()) {
      Partition p =
          ReferencePartitioners.partition(
              s, costs.workNanos(), costs.parameters(), candidate.stageCount());
      out.add(new Result(s, evaluator.evaluate(candidate, compiled, p)));
    }
    return out;
  }
}
