package dev.pipeplan.reports;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanLinks;
import dev.pipeplan.planner.PlanSummary;
import dev.pipeplan.planner.PredictedMetrics;
import dev.pipeplan.planner.SearchStats;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A hand-written plan for report tests: 8 layers on pp = 4 devices of one node, 1F1B, m = 8,
 * uniform stages of F = 1 ms, I = 1 ms, W = 1 ms. Its predicted metrics are written here, not
 * computed; reports replay the timeline through the planner's {@code PlanPrediction}.
 */
public final class ReportPlans {
  public static final long GIB = 1L << 30;

  private ReportPlans() {}

  public static Plan fourStageOneFOneB() {
    int pp = 4;
    Parallelism par = Parallelism.of(pp, 1, 1);
    List<LayerSpec> layers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      layers.add(
          new LayerSpec(
              "block" + i,
              LayerKind.TRANSFORMER_BLOCK,
              LayerShape.of(LayerKind.TRANSFORMER_BLOCK, Map.of("hidden", 64L, "heads", 4L)),
              2e9,
              2e9,
              2e9,
              1_000_000,
              1L << 20,
              1L << 16,
              null));
    }
    ModelSpec model = new ModelSpec("report-test-8", layers, DType.BF16, 128);
    DeviceSpec gpu = new DeviceSpec("test-gpu", Map.of(DType.BF16, 1e12), 8 * GIB, 1e11, 1000);
    LinkSpec nvlink = new LinkSpec("nvlink", 1e11, 2000);
    LinkSpec ib = new LinkSpec("ib", 1e10, 5000);
    ClusterSpec cluster = ClusterSpec.of("test-gpu:1x4", gpu, 1, 4, nvlink, ib);
    List<StageCost> costs = new ArrayList<>();
    List<DeviceMetrics> devices = new ArrayList<>();
    for (int s = 0; s < pp; s++) {
      costs.add(
          new StageCost(
              1_000_000, 1_000_000, 1_000_000, 1L << 20, 512L << 20, 256L << 20, 2 * GIB));
      devices.add(new DeviceMetrics(s, 16_000_000, 2 * GIB + (pp - s) * (512L << 20), pp - s));
    }
    PredictedMetrics predicted =
        new PredictedMetrics(
            33_000_000, 33_000_000, 0, 0, 3.0 / 11, 240.0, 30720.0, 4 * GIB, 8 * GIB, devices);
    PlanSummary winner =
        new PlanSummary(
            1, par, 1, 8, ScheduleKind.parse("1f1b"), 1, "2,2,2,2", 33_000_000, 3.0 / 11, 4 * GIB);
    PlanSummary second =
        new PlanSummary(
            2, par, 1, 8, ScheduleKind.parse("gpipe"), 1, "2,2,2,2", 33_000_000, 3.0 / 11, 6 * GIB);
    PlanSummary third =
        new PlanSummary(
            3, par, 2, 4, ScheduleKind.parse("1f1b"), 1, "2,2,2,2", 40_000_000, 0.43, 5 * GIB);
    return new Plan(
        Plan.FORMAT_VERSION,
        model,
        TrainingSpec.of(8, 128, DType.BF16),
        cluster,
        par,
        1,
        8,
        ScheduleKind.parse("1f1b"),
        1,
        0,
        0,
        Partition.of(2, 2, 2, 2),
        List.of(0, 1, 2, 3),
        List.of(List.of(0), List.of(1), List.of(2), List.of(3)),
        costs,
        new PlanLinks(nvlink, ib, List.of(0, 0, 0, 0)),
        predicted,
        "1f1b is as fast as gpipe and needs 2.0 GiB less memory per device.",
        List.of(winner, second, third),
        List.of(winner, third),
        new SearchStats(12, 6, 4, 2),
        Provenance.unrecorded());
  }
}
