package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.simulator.engine.CompiledSchedule;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The iteration's cost terms (data-parallel sync, optimizer step, memory limit, the sync's lower
 * bound) of a few candidates, against the numbers the planner computed before they moved to {@code
 * simulator.cost.IterationCosts}: the move must not change a nanosecond.
 */
class IterationTermsTest {
  private static final ModelSpec GPT2 = ModelLoader.load("gpt2-small", 1024);
  private static final ClusterSpec EIGHT_H100 = Clusters.load("h100:2x4");
  private static final TrainingSpec TRAINING =
      TrainingSpec.of(32, GPT2.sequenceLength(), GPT2.dtype());

  private static final List<Candidate> CANDIDATES =
      List.of(
          new Candidate(Parallelism.of(2, 2, 2), 2, 8, ScheduleKind.ONE_F_ONE_B, 1),
          new Candidate(Parallelism.of(1, 8, 1), 4, 1, ScheduleKind.ONE_F_ONE_B, 1),
          new Candidate(Parallelism.of(2, 4, 1), 1, 8, ScheduleKind.GPIPE, 1),
          new Candidate(Parallelism.of(4, 2, 1), 2, 8, ScheduleKind.INTERLEAVED_1F1B, 2),
          new Candidate(Parallelism.of(8, 1, 1), 1, 32, ScheduleKind.ZB_H1, 1));

  /** Per candidate: dp sync, optimizer step, lower bound, memory limit of pipeline device 0. */
  private static List<Long> terms(SearchOptions options) {
    CandidateEvaluator evaluator = new CandidateEvaluator(GPT2, TRAINING, EIGHT_H100, options);
    List<Long> out = new ArrayList<>();
    for (Candidate c : CANDIDATES) {
      Partition p = evaluator.partition(evaluator.problem(c)).orElseThrow();
      CompiledSchedule compiled = evaluator.schedule(c.scheduleRequest()).orElseThrow();
      Evaluation e = evaluator.evaluate(c, compiled, p);
      out.add(e.dataParallelSyncNanos());
      out.add(e.optimizerStepNanos());
      out.add(evaluator.lowerBoundNanos(c));
      out.add(evaluator.memoryLimit(c.parallelism(), 0));
    }
    return out;
  }

  @Test
  void theSyncIsZeroExactlyWithoutDataParallelismAndTheLimitIsTheDevices() {
    List<Long> terms = terms(SearchOptions.defaults());
    for (int i = 0; i < CANDIDATES.size(); i++) {
      Candidate c = CANDIDATES.get(i);
      long sync = terms.get(4 * i);
      long step = terms.get(4 * i + 1);
      long bound = terms.get(4 * i + 2);
      if (c.parallelism().dp() == 1) {
        // GPT-2 ties its head to the embedding: on eight devices, two nodes apart, the two tables'
        // fp32 gradients are all-reduced over the inter-node link, and that is all the sync there
        // is
        LayerShape.LmHead head = (LayerShape.LmHead) GPT2.layer(GPT2.layerCount() - 1).shape();
        long table = head.vocab().getAsLong() * head.hidden().getAsLong();
        assertThat(sync)
            .as("%s: dp sync", c)
            .isEqualTo(
                dev.pipeplan.simulator.cost.IterationCosts.ringAllReduceNanos(
                    table * 4, 2, EIGHT_H100.interNodeLink()));
      } else {
        assertThat(sync).as("%s: dp sync", c).isPositive();
      }
      assertThat(step).as("%s: optimizer step", c).isPositive();
      assertThat(bound).as("%s: lower bound", c).isPositive();
      assertThat(terms.get(4 * i + 3))
          .as("%s: memory limit", c)
          .isEqualTo(EIGHT_H100.device(0).memoryBytes());
    }
  }

  @Test
  void aMemoryLimitOptionOverridesOnlyTheLimit() {
    List<Long> own = terms(SearchOptions.defaults());
    List<Long> limited = terms(SearchOptions.defaults().withMemoryLimitBytes(60_000_000_000L));
    for (int i = 0; i < own.size(); i++) {
      if (i % 4 == 3) {
        assertThat(limited.get(i)).isEqualTo(60_000_000_000L);
      } else {
        assertThat(limited.get(i)).as("term %d", i).isEqualTo(own.get(i));
      }
    }
  }
}
