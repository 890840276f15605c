package dev.pipeplan.planner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import org.junit.jupiter.api.Test;

/** A search's counts add up to the candidates it considered, each counted once. */
class SearchStatsTest {
  @Test
  void theCountsOfARealSearchAddUpToTheCandidates() {
    // "617 candidates: 5 simulated, 0 pruned, 490 over memory" once left 122 unaccounted for and
    // counted the simulated ones over memory twice
    ModelSpec model = ModelLoader.load("gpt3-13b", 0);
    ClusterSpec cluster = Clusters.load("a100-40gb:2x8");
    TrainingSpec training = TrainingSpec.of(64, model.sequenceLength(), model.dtype());
    SearchStats s =
        PlanBuilder.fromSearch(
                Planner.search(
                    model, training, cluster, SearchOptions.defaults(), ProgressListener.none()))
            .search();
    assertThat(
            s.candidatesSimulated()
                + s.candidatesPruned()
                + s.candidatesOverMemoryUnsimulated()
                + s.candidatesNotRunnable())
        .isEqualTo(s.candidatesConsidered());
    assertThat(s.candidatesSimulated()).isPositive();
  }

  @Test
  void theSummarySaysEachPartOnce() {
    SearchStats s = new SearchStats(617, 5, 0, 490, 1, 123);
    assertThat(s.summary())
        .isEqualTo(
            "617 candidates: 5 simulated (1 of them over memory), 0 pruned by the lower bound,"
                + " 489 over memory without a simulation, 123 that their schedule kind cannot run");
    assertThat(new SearchStats(10, 4, 3, 3).summary())
        .isEqualTo("10 candidates: 4 simulated, 3 pruned by the lower bound, 3 over memory");
    // was "1 candidates: 1 simulated, ..."
    assertThat(new SearchStats(1, 1, 0, 0).summary())
        .isEqualTo("1 candidate: 1 simulated, 0 pruned by the lower bound, 0 over memory");
  }
}
