package dev.pipeplan.planner;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import java.util.List;
import java.util.Map;

/**
 * Small hand-made plans whose every number is written here, independent of the cost models and the
 * zoo. The stage costs' bytes are the ones the memory model gives for the partition and micro-batch
 * size (the plan reader checks them, {@code StageBytes}); their durations are made up.
 */
public final class PlanFixtures {
  private PlanFixtures() {}

  public static ModelSpec fourLayerModel() {
    return new ModelSpec(
        "four-layers",
        List.of(
            layer("embed", LayerKind.EMBEDDING, 1000),
            layer("block0", LayerKind.TRANSFORMER_BLOCK, 4000),
            layer("block1", LayerKind.TRANSFORMER_BLOCK, 4000),
            new LayerSpec(
                "head",
                LayerKind.LM_HEAD,
                LayerShape.of(LayerKind.LM_HEAD, Map.of("hidden", 64L)),
                1e6,
                1e6,
                1e6,
                1000,
                512,
                4,
                new MeasuredTimes(1, 1000, 1000, 1000))),
        DType.BF16,
        128);
  }

  private static LayerSpec layer(String name, LayerKind kind, long params) {
    return new LayerSpec(
        name,
        kind,
        LayerShape.of(kind, Map.of("hidden", 64L, "heads", 4L)),
        2e6,
        2e6,
        2e6,
        params,
        2048,
        1024,
        null);
  }

  public static ClusterSpec twoByTwo() {
    DeviceSpec gpu = new DeviceSpec("test-gpu", Map.of(DType.BF16, 1e12), 1L << 30, 1e11, 1000);
    return ClusterSpec.of(
        "test-gpu:2x2",
        gpu,
        2,
        2,
        new LinkSpec("nvlink", 1e11, 1000),
        new LinkSpec("ib", 1e10, 5000));
  }

  /** pp = 2, dp = 2, tp = 1, b = 2, m = 4, 1F1B, stages of 2 layers each. */
  public static Plan twoStagePlan() {
    Parallelism par = Parallelism.of(2, 2, 1);
    List<StageCost> costs =
        List.of(
            new StageCost(10_000, 12_000, 0, 2048, 8192, 4818, 90_000),
            new StageCost(11_000, 13_000, 0, 8, 5120, 3011, 90_000));
    PredictedMetrics predicted =
        new PredictedMetrics(
            200_000,
            180_000,
            15_000,
            5_000,
            0.25,
            80_000.0,
            10_240_000.0,
            180_000,
            1L << 30,
            List.of(
                new DeviceMetrics(0, 88_000, 150_000, 2),
                new DeviceMetrics(1, 96_000, 180_000, 1)));
    PlanSummary winner =
        new PlanSummary(1, par, 2, 4, ScheduleKind.parse("1f1b"), 1, "2,2", 200_000, 0.25, 180_000);
    PlanSummary second =
        new PlanSummary(
            2, par, 2, 4, ScheduleKind.parse("gpipe"), 1, "2,2", 210_000, 0.25, 190_000);
    return new Plan(
        Plan.FORMAT_VERSION,
        fourLayerModel(),
        TrainingSpec.of(16, 128, DType.BF16),
        twoByTwo(),
        par,
        2,
        4,
        ScheduleKind.parse("1f1b"),
        1,
        0,
        0,
        Partition.of(2, 2),
        List.of(0, 1),
        List.of(List.of(0, 1), List.of(2, 3)),
        costs,
        new PlanLinks(
            new LinkSpec("nvlink", 1e11, 1000), new LinkSpec("ib", 1e10, 5000), List.of(0, 1)),
        predicted,
        "1f1b beats gpipe by 10 us.",
        List.of(winner, second),
        List.of(winner),
        new SearchStats(10, 4, 3, 3),
        Provenance.unrecorded());
  }

  /** The two-stage plan re-cut into four one-layer stages, two per device, interleaved (v = 2). */
  public static Plan interleavedPlan() {
    Plan base = twoStagePlan();
    List<StageCost> costs =
        List.of(
            new StageCost(5_000, 6_000, 0, 2048, 4096, 2409, 18_000),
            new StageCost(5_000, 6_000, 0, 2048, 4096, 2409, 72_000),
            new StageCost(5_500, 6_500, 0, 2048, 4096, 2409, 72_000),
            new StageCost(5_500, 6_500, 0, 8, 1024, 602, 18_000));
    return new Plan(
        Plan.FORMAT_VERSION,
        base.model(),
        base.training(),
        base.cluster(),
        base.parallelism(),
        base.microBatchSize(),
        base.microBatchCount(),
        ScheduleKind.parse("interleaved"),
        2,
        0,
        0,
        Partition.of(1, 1, 1, 1),
        List.of(0, 1, 0, 1),
        base.placement(),
        costs,
        base.links(),
        base.predicted(),
        base.reason(),
        base.runnersUp(),
        base.pareto(),
        base.search(),
        Provenance.unrecorded());
  }

  /** {@code base} trained as {@code training} states, every other field kept. */
  public static Plan withTraining(Plan base, TrainingSpec training) {
    return with(base, training, base.parallelism());
  }

  /** {@code base} trained as {@code training} states over {@code parallelism}, the rest kept. */
  public static Plan with(Plan base, TrainingSpec training, Parallelism parallelism) {
    return copy(base, base.model(), training, parallelism, base.predicted());
  }

  /** {@code base} of another model (its layers' shapes edited, say), every other field kept. */
  public static Plan withModel(Plan base, ModelSpec model) {
    return copy(base, model, base.training(), base.parallelism(), base.predicted());
  }

  /**
   * {@code base} with {@code predicted} metrics (as a hand-edited file has them), the rest kept.
   */
  public static Plan withPredicted(Plan base, PredictedMetrics predicted) {
    return copy(base, base.model(), base.training(), base.parallelism(), predicted);
  }

  private static Plan copy(
      Plan base,
      ModelSpec model,
      TrainingSpec training,
      Parallelism parallelism,
      PredictedMetrics predicted) {
    return new Plan(
        Plan.FORMAT_VERSION,
        model,
        training,
        base.cluster(),
        parallelism,
        base.microBatchSize(),
        base.microBatchCount(),
        base.scheduleKind(),
        base.virtualStages(),
        base.groupSize(),
        base.maxInFlightMicroBatches(),
        base.partition(),
        base.stageToDevice(),
        base.placement(),
        base.stageCosts(),
        base.links(),
        predicted,
        base.reason(),
        base.runnersUp(),
        base.pareto(),
        base.search(),
        base.provenance(),
        base.optimizerPostValidation());
  }
}
