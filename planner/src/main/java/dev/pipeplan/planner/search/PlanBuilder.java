package dev.pipeplan.planner.search;

import dev.pipeplan.models.Provenance;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanSummary;
import dev.pipeplan.planner.PlanValidator;
import dev.pipeplan.planner.PredictedMetrics;
import dev.pipeplan.planner.SearchStats;
import dev.pipeplan.simulator.cost.CostSources;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;

/** Turns evaluations into self-contained {@link Plan}s and their summaries. */
public final class PlanBuilder {
  private PlanBuilder() {}

  /** The winning plan of a search, with its runners-up, Pareto set, reason and stats. */
  public static Plan fromSearch(SearchResult result) {
    return toPlan(
        result.evaluator(),
        result.best(),
        result.reason(),
        summaries(result.ranked()),
        summaries(result.pareto()),
        result.stats());
  }

  /** A plan for one evaluation, with the given context. */
  public static Plan toPlan(
      CandidateEvaluator evaluator,
      Evaluation e,
      String reason,
      List<PlanSummary> runnersUp,
      List<PlanSummary> pareto,
      SearchStats stats) {
    Candidate c = e.candidate();
    Parallelism par = c.parallelism();
    Schedule schedule = evaluator.schedule(c.scheduleRequest()).orElseThrow().schedule();
    List<List<Integer>> placement = new ArrayList<>(par.pp());
    for (int d = 0; d < par.pp(); d++) {
      List<Integer> devices = new ArrayList<>(par.dp() * par.devicesPerStage());
      for (int r = 0; r < par.dp(); r++) {
        for (int k = 0; k < par.cp(); k++) {
          for (int t = 0; t < par.tp(); t++) {
            devices.add(par.clusterDevice(d, r, k, t));
          }
        }
      }
      placement.add(devices);
    }
    long global = evaluator.training().globalBatch();
    double samplesPerSecond = global * 1e9 / Math.max(1, e.iterationNanos());
    PredictedMetrics predicted =
        new PredictedMetrics(
            e.iterationNanos(),
            e.pipeline().iterationNanos(),
            e.dataParallelSyncNanos(),
            e.optimizerStepNanos(),
            e.pipeline().bubbleRatio(),
            samplesPerSecond,
            samplesPerSecond * evaluator.training().sequenceLength(),
            e.peakMemoryBytes(),
            e.memoryLimitBytes(),
            e.pipeline().devices());
    Plan plan =
        new Plan(
            Plan.FORMAT_VERSION,
            evaluator.model(),
            evaluator.training(),
            evaluator.cluster(),
            par,
            c.microBatchSize(),
            c.microBatchCount(),
            c.kind(),
            c.virtualStages(),
            0,
            c.maxInFlightMicroBatches(),
            e.partition(),
            schedule.stageToDevice(),
            placement,
            e.stageCosts(),
            evaluator.links(par),
            predicted,
            reason,
            runnersUp,
            pareto,
            stats,
            provenance(evaluator),
            e.postValidated().isPresent());
    return PlanValidator.validateWithStoredCosts(plan);
  }

  /**
   * How the search that made a plan was set up: this pipeplan, its cost source, options, cluster.
   */
  static Provenance provenance(CandidateEvaluator evaluator) {
    return new Provenance(
        Provenance.currentVersion(),
        CostSources.describe(evaluator.model(), evaluator.cluster(), evaluator.options().profile()),
        evaluator.options().describe(),
        evaluator.cluster().name());
  }

  /** Ranked summaries, rank 1 first. */
  public static List<PlanSummary> summaries(List<Evaluation> evaluations) {
    List<PlanSummary> out = new ArrayList<>(evaluations.size());
    for (int i = 0; i < evaluations.size(); i++) {
      out.add(summary(evaluations.get(i), i + 1));
    }
    return out;
  }

  public static PlanSummary summary(Evaluation e, int rank) {
    Candidate c = e.candidate();
    return new PlanSummary(
        rank,
        c.parallelism(),
        c.microBatchSize(),
        c.microBatchCount(),
        c.kind(),
        c.virtualStages(),
        e.partition().toString(),
        e.iterationNanos(),
        Planner.bubbleRatio(e),
        e.peakMemoryBytes());
  }
}
