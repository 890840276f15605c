package dev.pipeplan.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanValidatorTest {
  private static Plan with(
      Partition partition, List<Integer> stageToDevice, List<List<Integer>> placement) {
    Plan p = PlanFixtures.twoStagePlan();
    return new Plan(
        Plan.FORMAT_VERSION,
        p.model(),
        p.training(),
        p.cluster(),
        p.parallelism(),
        p.microBatchSize(),
        p.microBatchCount(),
        p.scheduleKind(),
        p.virtualStages(),
        p.groupSize(),
        p.maxInFlightMicroBatches(),
        partition,
        stageToDevice,
        placement,
        p.stageCosts(),
        p.links(),
        p.predicted(),
        p.reason(),
        p.runnersUp(),
        p.pareto(),
        p.search(),
        Provenance.unrecorded());
  }

  /** The two-stage plan with another micro-batch size and count, its stage costs kept. */
  private static Plan withMicroBatches(int b, int m) {
    Plan p = PlanFixtures.twoStagePlan();
    return new Plan(
        Plan.FORMAT_VERSION,
        p.model(),
        p.training(),
        p.cluster(),
        p.parallelism(),
        b,
        m,
        p.scheduleKind(),
        p.virtualStages(),
        p.groupSize(),
        p.maxInFlightMicroBatches(),
        p.partition(),
        p.stageToDevice(),
        p.placement(),
        p.stageCosts(),
        p.links(),
        p.predicted(),
        p.reason(),
        p.runnersUp(),
        p.pareto(),
        p.search(),
        Provenance.unrecorded());
  }

  @Test
  void fp8LinearsOnAModelWithoutTransformerBlocksAreAProblem() {
    Plan base = PlanFixtures.twoStagePlan();
    Plan edited = PlanFixtures.withTraining(base, base.training().withFp8Linears(true));
    assertThat(PlanValidator.problems(edited))
        .anyMatch(p -> p.contains("training.fp8Linears is true, but model '"))
        .anyMatch(p -> p.contains("has no transformer block whose linear layers could run in FP8"));
  }

  @Test
  void aHandEditedPipelineDegreeNearTwoToTheThirtyFirstIsAProblemNotACrash() {
    Plan base = PlanFixtures.twoStagePlan();
    Plan huge =
        PlanFixtures.with(base, base.training(), new Parallelism(Integer.MAX_VALUE, 1, 1, 1));
    assertThat(PlanValidator.problems(huge))
        .anyMatch(
            p ->
                p.contains(
                    "pp * virtualStages is " + (long) Integer.MAX_VALUE * base.virtualStages()))
        .noneMatch(p -> p.contains(" is -"));
  }

  @Test
  void rejectsStageCostsPricedForAnotherPartition() {
    Plan moved = with(Partition.of(1, 3), List.of(0, 1), PlanFixtures.twoStagePlan().placement());
    assertThat(PlanValidator.problems(moved)).isEmpty();
    assertThat(PlanValidator.storedCostsProblem(moved))
        .get()
        .asString()
        .startsWith(
            "stageCosts[0].staticBytes is 90000, but stage 0 of partition.layerCounts [1, 3]"
                + " (layers 0..0) with microBatchSize 2, tp 1 and dp 2 takes 18000 (2 of 2"
                + " stages differ): the stage costs were priced for another partition");
  }

  @Test
  void rejectsStageCostsPricedForAnotherMicroBatchSize() {
    Plan halved = withMicroBatches(1, 8);
    assertThat(PlanValidator.problems(halved)).isEmpty();
    assertThatThrownBy(() -> PlanValidator.validateWithStoredCosts(halved))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(
            "plan is inconsistent: stageCosts[0].activationBytes is 8192, but stage 0 of partition.layerCounts [2, 2]"
                + " (layers 0..1) with microBatchSize 1, tp 1 and dp 2 takes 4096 (2 of 2 stages"
                + " differ)");
    assertThat(PlanValidator.validate(halved)).isSameAs(halved);
  }

  @Test
  void rejectsAStageMapTheScheduleKindDoesNotMake() {
    Plan p = PlanFixtures.interleavedPlan();
    Plan vMap =
        new Plan(
            p.formatVersion(),
            p.model(),
            p.training(),
            p.cluster(),
            p.parallelism(),
            p.microBatchSize(),
            p.microBatchCount(),
            p.scheduleKind(),
            p.virtualStages(),
            p.groupSize(),
            p.maxInFlightMicroBatches(),
            p.partition(),
            List.of(0, 1, 1, 0),
            p.placement(),
            p.stageCosts(),
            p.links(),
            p.predicted(),
            p.reason(),
            p.runnersUp(),
            p.pareto(),
            p.search(),
            Provenance.unrecorded());
    assertThat(PlanValidator.problems(vMap))
        .containsExactly(
            "stageToDevice is [0, 1, 1, 0], but the 'interleaved' schedule with pp 2 and"
                + " virtualStages 2 places stages [0, 1, 0, 1] (looped: stage s on device s mod"
                + " pp); was the plan edited by hand? Maybe re-run 'pipeplan plan'");
  }

  /** The two-stage plan with its predicted iteration time replaced, the rest kept. */
  private static Plan withIterationNanos(long iterationNanos) {
    Plan p = PlanFixtures.twoStagePlan();
    PredictedMetrics m = p.predicted();
    return PlanFixtures.withPredicted(
        p,
        new PredictedMetrics(
            iterationNanos,
            m.pipelineNanos(),
            m.dataParallelSyncNanos(),
            m.optimizerStepNanos(),
            m.bubbleRatio(),
            m.throughputSamplesPerSecond(),
            m.throughputTokensPerSecond(),
            m.peakMemoryBytes(),
            m.memoryLimitBytes(),
            m.devices()));
  }

  @Test
  void rejectsAPredictedIterationThatIsNotItsParts() {
    // a hand-edited iteration time reached the report's headline ("predicted iteration 0.000 ms
    // = pipeline 23.288 + ...") unchecked
    assertThat(PlanValidator.problems(withIterationNanos(1)))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("predicted.iterationNanos is 1, but pipelineNanos +")
                    .contains("edited by hand"));
  }

  @Test
  void acceptsTheFixture() {
    assertThat(PlanValidator.problems(PlanFixtures.twoStagePlan())).isEmpty();
    assertThat(PlanValidator.storedCostsProblem(PlanFixtures.twoStagePlan())).isEmpty();
    assertThat(PlanValidator.storedCostsProblem(PlanFixtures.interleavedPlan())).isEmpty();
  }

  @Test
  void listsEveryInconsistency() {
    Plan bad = with(Partition.of(1, 2), List.of(0, 2), List.of(List.of(0, 1), List.of(1, 9)));
    assertThat(PlanValidator.problems(bad))
        .containsExactly(
            "partition covers 3 layers, model 'four-layers' has 4",
            "stageToDevice[1] is 2, outside 0..1",
            "placement[1] names cluster device 1 a second time",
            "placement[1] names cluster device 9, outside 0..3");
    assertThatThrownBy(() -> PlanValidator.validate(bad))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("plan is inconsistent: partition covers 3 layers");
  }

  @Test
  void needsPpTimesVStages() {
    Plan bad =
        with(Partition.of(1, 1, 2), List.of(0, 1, 0), PlanFixtures.twoStagePlan().placement());
    assertThat(PlanValidator.problems(bad))
        .contains(
            "partition has 3 stages, pp * virtualStages is 2",
            "stageCosts has 2 entries, the partition has 3" + " stages");
  }

  @Test
  void rejectsATrainingSequenceLengthOtherThanTheModels() {
    Plan base = PlanFixtures.twoStagePlan();
    Plan longer =
        PlanFixtures.withTraining(
            base, dev.pipeplan.models.TrainingSpec.of(16, 4_000_000, base.training().dtype()));
    assertThat(PlanValidator.problems(longer))
        .containsExactly(
            "training.sequenceLength is 4000000, but the plan's model was priced at"
                + " sequenceLength 128; was the plan edited by hand? Maybe re-run 'pipeplan plan'"
                + " with --seq 4000000");
  }

  @Test
  void refusesFp8LinearsOutside16BitTrainingOrOnADeviceWithoutAnFp8Rate() {
    Plan base = PlanFixtures.twoStagePlan();
    // test-gpu has a bf16 rate only
    Plan fp8 = PlanFixtures.withTraining(base, base.training().withFp8Linears(true));
    // (the fixture's layers give measured times only: no block to run in FP8 either)
    assertThat(PlanValidator.problems(fp8))
        .contains(
            "training.fp8Linears is true, but device 'test-gpu' of cluster 'test-gpu:2x2' has no"
                + " FP8 rate; was the plan edited by hand? Maybe re-run 'pipeplan plan' without"
                + " --fp8");
    Plan fp32 =
        PlanFixtures.withTraining(
            base,
            dev.pipeplan.models.TrainingSpec.of(16, 128, dev.pipeplan.models.DType.FP32)
                .withFp8Linears(true));
    assertThat(PlanValidator.problems(fp32))
        .startsWith(
            "training.fp8Linears is true, but training.dtype is fp32: FP8 linears cast 16-bit"
                + " inputs, so 'pipeplan plan --fp8' prices them only in bf16 or fp16 training;"
                + " was the plan edited by hand? Maybe re-run 'pipeplan plan' with --dtype bf16,"
                + " or without --fp8");
    assertThatThrownBy(() -> PlanValidator.validate(fp8))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("plan is inconsistent: training.fp8Linears is true");
    assertThat(PlanValidator.problems(base)).isEmpty();
  }
}
