package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.SubLayers;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.planner.PostValidatedStep;
import dev.pipeplan.planner.export.ExportTarget;
import dev.pipeplan.planner.export.Exports;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.SubLayerPieces;
import dev.pipeplan.simulator.engine.SteadyState;
import dev.pipeplan.simulator.engine.SteadyStateSimulator;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Sub-layer partitions ({@code --partition-unit}): gpt3-13b's 40 blocks and its head do not split
 * evenly over 8 devices as whole layers; cut into steps they do, and zb-auto, post-validated with
 * its warm-up sized by memory, gets close to its bound.
 */
class SubLayerPlansTest {
  private static final ModelSpec GPT3_13B = ModelLoader.load("gpt3-13b", 0);
  private static final ClusterSpec NODE = Clusters.load("h100:1x8");
  private static final int M = 32;

  private static Plan plan(ModelSpec model) {
    TrainingSpec training = TrainingSpec.of(M, model.sequenceLength(), model.dtype());
    SearchOptions options =
        SearchOptions.defaults()
            .withPp(8)
            .withTp(1)
            .withMicroBatches(M)
            .withMicroBatchSize(1)
            .withKinds(List.of(ScheduleKind.ZB_AUTO))
            .withOptimizerPostValidation(true);
    return PlanBuilder.fromSearch(
        Planner.search(model, training, NODE, options, ProgressListener.none()));
  }

  /** 1 - average device work / busiest device's work, over one micro-batch's F + I + W. */
  private static double imbalance(Plan plan) {
    double max = 0;
    double sum = 0;
    for (StageCost s : plan.stageCosts()) {
      double work = s.forwardNanos() + s.backwardInputNanos() + s.backwardWeightNanos();
      max = Math.max(max, work);
      sum += work;
    }
    return 1 - sum / plan.stageCosts().size() / max;
  }

  @Test
  void stepsBalanceWhatWholeBlocksCannotAndTheIterationIsFaster() {
    TrainingSpec training = TrainingSpec.of(M, GPT3_13B.sequenceLength(), GPT3_13B.dtype());
    ModelSpec steps = SubLayerPieces.split(GPT3_13B, SubLayers.Unit.STEP, training, NODE);
    Plan whole = plan(GPT3_13B);
    Plan cut = plan(steps);

    // 40 blocks and a head of about one block over 8 devices: some device holds 6 blocks
    assertThat(imbalance(whole)).isGreaterThan(0.10);
    assertThat(imbalance(cut)).isLessThan(0.05);
    assertThat(cut.predicted().iterationNanos())
        .isLessThan((long) (whole.predicted().iterationNanos() * 0.92));
    assertThat(cut.model().layerCount()).isEqualTo(steps.layerCount());
  }

  @Test
  void zbAutoKeepsMoreThanTwoPMinusOneMicroBatchesInFlightWhenMemoryAllows() {
    Plan plan = plan(GPT3_13B);
    int cap = plan.maxInFlightMicroBatches();
    // 2p - 1 = 15 is zb-auto's default; m = 32 micro-batches and 78 GiB allow more
    assertThat(cap).isGreaterThan(15).isLessThanOrEqualTo(M);
  }

  @Test
  void gpt2XlOnSixteenDevicesMeetsTheZeroBubbleGoalWhenItsHeadIsCutByAction() {
    // issue 13's hardest row: m = 3p, embedding and head balanced by the partition; with the
    // head's slices sized by their heaviest action the bubble of the post-validated period (the
    // pipeline alone, as the Zero Bubble paper counts it) is below 5%; sized by F + I + W together
    // it stayed at 5.63%
    ModelSpec model = ModelLoader.load("gpt2-xl", 0);
    ClusterSpec cluster = Clusters.load("h100:2x8");
    int m = 48;
    TrainingSpec training = TrainingSpec.of(m, model.sequenceLength(), model.dtype());
    ModelSpec steps = SubLayerPieces.split(model, SubLayers.Unit.STEP, training, cluster);
    SearchOptions options =
        SearchOptions.defaults()
            .withPp(16)
            .withTp(1)
            .withMicroBatches(m)
            .withMicroBatchSize(1)
            .withKinds(List.of(ScheduleKind.ZB_AUTO))
            .withOptimizerPostValidation(true);
    Plan plan =
        PlanBuilder.fromSearch(
            Planner.search(steps, training, cluster, options, ProgressListener.none()));
    SteadyState pipeline =
        SteadyStateSimulator.simulate(
            PlanPrediction.schedule(plan),
            plan.costs(),
            PostValidatedStep.boundary(0, 0, plan.links()));
    assertThat(pipeline.bubbleRatio()).isLessThanOrEqualTo(0.05);
  }

  @Test
  void exportsRefuseAPlanWhoseStagesCutInsideLayers() {
    TrainingSpec training = TrainingSpec.of(M, GPT3_13B.sequenceLength(), GPT3_13B.dtype());
    Plan cut = plan(SubLayerPieces.split(GPT3_13B, SubLayers.Unit.SUBLAYER, training, NODE));
    for (ExportTarget target : ExportTarget.values()) {
      assertThatThrownBy(() -> Exports.export(cut, target))
          .as(target.id())
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("cut into sub-layer pieces")
          .hasMessageContaining("--partition-unit layer");
    }
  }
}
