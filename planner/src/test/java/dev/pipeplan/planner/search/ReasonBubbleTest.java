package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The reason line's bubble is the table's: the same ratio and that ratio's time. */
class ReasonBubbleTest {
  @Test
  void aPostValidatedWinnersBubbleReadsAsItsRatioOfThePeriod() {
    // gpt2-small ties its head to its embedding: the table's steady-state bubble holds the
    // tied table's all-reduce and the optimizer step; the reason line once gave the ratio with
    // the time left after them ("15.7% (4.49 ms)" of a 108.52 ms period)
    ModelSpec model = ModelLoader.load("gpt2-small", 0);
    ClusterSpec cluster = Clusters.load("h100:1x4");
    TrainingSpec training = TrainingSpec.of(12, model.sequenceLength(), model.dtype());
    SearchOptions options =
        SearchOptions.defaults()
            .withPp(4)
            .withTp(1)
            .withMicroBatches(12)
            .withMicroBatchSize(1)
            .withKinds(List.of(ScheduleKind.ZB_H1, ScheduleKind.ZB_H2))
            .withOptimizerPostValidation(true);
    SearchResult result =
        Planner.search(model, training, cluster, options, ProgressListener.none());
    Evaluation winner = result.ranked().get(0);
    assertThat(winner.postValidated()).isPresent();
    assertThat(winner.dataParallelSyncNanos() + winner.optimizerStepNanos()).isPositive();
    String reason = Planner.reason(result.ranked());
    assertThat(reason)
        .contains(
            String.format(
                Locale.ROOT,
                "its pipeline bubble is %.1f%% (%s)",
                100 * Planner.bubbleRatio(winner),
                Planner.ms(Planner.bubbleNanos(winner))))
        .contains("holds the gradient sync and the optimizer step");
    double period = winner.postValidated().get().periodNanos();
    assertThat((double) Planner.bubbleNanos(winner))
        .isCloseTo(Planner.bubbleRatio(winner) * period, within(1.0))
        .isGreaterThanOrEqualTo(winner.dataParallelSyncNanos() + winner.optimizerStepNanos());
  }
}
