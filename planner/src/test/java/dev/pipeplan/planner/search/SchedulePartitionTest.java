package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.partition.MinMaxPartitioner;
import dev.pipeplan.planner.partition.PartitionProblem;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Partitions chosen for the schedule's makespan, not only for the bottleneck (issue 13 §3). */
class SchedulePartitionTest {
  private static final ModelSpec VGG16 = ModelLoader.load("vgg16", 0);
  // eight single-GPU nodes: every stage boundary crosses InfiniBand, so where it falls matters
  private static final ClusterSpec EIGHT_NODES = Clusters.load("h100:8x1");
  private static final int MICRO_BATCH_SIZE = 8;
  private static final int MICRO_BATCHES = 16;

  @Test
  void vgg16OneFOneBPlanBeatsTheMinMaxPartitionWhenTheBottleneckTies() {
    TrainingSpec training = TrainingSpec.of(MICRO_BATCH_SIZE * MICRO_BATCHES, 0, VGG16.dtype());
    SearchOptions options =
        SearchOptions.defaults()
            .withPp(8)
            .withMicroBatches(MICRO_BATCHES)
            .withKinds(List.of(ScheduleKind.ONE_F_ONE_B));
    SearchResult result =
        Planner.search(VGG16, training, EIGHT_NODES, options, ProgressListener.none());

    CandidateEvaluator evaluator = new CandidateEvaluator(VGG16, training, EIGHT_NODES, options);
    Candidate c =
        new Candidate(
            new Parallelism(8, 1, 1), MICRO_BATCH_SIZE, MICRO_BATCHES, ScheduleKind.ONE_F_ONE_B, 1);
    PartitionProblem problem = evaluator.problem(c);
    Partition minMax = MinMaxPartitioner.solve(problem).orElseThrow();
    long bottleneck = problem.bottleneckNanos(minMax);
    assertThat(partitionsWithBottleneck(problem, bottleneck))
        .as("partitions sharing the minimum bottleneck")
        .isGreaterThan(1);
    long minMaxNanos = evaluator.simulate(c, minMax).orElseThrow().iterationNanos();

    Evaluation best = result.best();
    assertThat(best.candidate().kind()).isEqualTo(ScheduleKind.ONE_F_ONE_B);
    assertThat(best.candidate().microBatchSize()).isEqualTo(MICRO_BATCH_SIZE);
    assertThat(best.fits()).isTrue();
    assertThat(best.iterationNanos()).isLessThan(minMaxNanos);
    double gain = 1.0 - (double) best.iterationNanos() / minMaxNanos;
    // the issue reports about 6% between same-bottleneck partitions; at least 2% here
    assertThat(gain)
        .as("gain of %s over the min-max split %s", best.partition(), minMax)
        .isGreaterThan(0.02);

    // without refinement the makespan DP alone already beats the min-max split
    SearchResult unrefined =
        Planner.search(
            VGG16, training, EIGHT_NODES, options.withRefine(false), ProgressListener.none());
    assertThat(unrefined.best().iterationNanos()).isLessThan(minMaxNanos);
  }

  @Test
  void zeroBubbleVPlanBeatsTheMinMaxChunkSplit() {
    // ResNet-50 on one 4-GPU node, ZB-V (two chunks per device, V-shaped): the chunk DP balances
    // chunks; the chunk search balances devices, and the simulator-driven refinement goes further
    assertBeatsMinMax(
        ModelLoader.load("resnet50", 0),
        atPrior(Clusters.load("h100:1x4")),
        ScheduleKind.ZB_V,
        2,
        0.05);
  }

  @Test
  void zeroBubbleH1PlanBeatsTheMinMaxSplit() {
    // VGG-16 on four single-GPU nodes, ZB-H1: no closed form, the refinement's moves of several
    // layers at once find it
    assertBeatsMinMax(VGG16, Clusters.load("h100:4x1"), ScheduleKind.ZB_H1, 1, 0.02);
  }

  /**
   * The cluster with its devices at their microbenchmark efficiencies: what a partition gains is a
   * property of the search under a given cost model, not of the latest calibration.
   */
  private static ClusterSpec atPrior(ClusterSpec cluster) {
    List<dev.pipeplan.models.DeviceGroup> groups = new ArrayList<>();
    for (dev.pipeplan.models.DeviceGroup g : cluster.groups()) {
      groups.add(
          new dev.pipeplan.models.DeviceGroup(
              g.device()
                  .withEfficiency(
                      dev.pipeplan.simulator.cost.roofline.RooflineParameters.prior(
                              g.device().name())
                          .efficiency()),
              g.nodes(),
              g.devicesPerNode()));
    }
    return new ClusterSpec(
        cluster.name(), groups, cluster.intraNodeLink(), cluster.interNodeLink());
  }

  private static void assertBeatsMinMax(
      ModelSpec model, ClusterSpec cluster, ScheduleKind kind, int v, double atLeast) {
    int b = 4;
    int m = 16;
    TrainingSpec training = TrainingSpec.of(b * m, 0, model.dtype());
    SearchOptions options =
        SearchOptions.defaults()
            .withPp(4)
            .withMicroBatches(m)
            .withMicroBatchSize(b)
            .withVirtualStages(v)
            .withKinds(List.of(kind));
    SearchResult result =
        Planner.search(model, training, cluster, options, ProgressListener.none());
    CandidateEvaluator evaluator = new CandidateEvaluator(model, training, cluster, options);
    Candidate c = new Candidate(new Parallelism(4, 1, 1), b, m, kind, v);
    Partition minMax = MinMaxPartitioner.solve(evaluator.problem(c)).orElseThrow();
    long minMaxNanos = evaluator.simulate(c, minMax).orElseThrow().iterationNanos();
    Evaluation best = result.best();
    assertThat(best.candidate()).isEqualTo(c);
    assertThat(best.fits()).isTrue();
    assertThat(best.partition()).isNotEqualTo(minMax);
    assertThat(1.0 - (double) best.iterationNanos() / minMaxNanos)
        .as("gain of %s over the min-max split %s", best.partition(), minMax)
        .isGreaterThan(atLeast);
  }

  private static int partitionsWithBottleneck(PartitionProblem problem, long bottleneck) {
    int[] count = {0};
    int[] counts = new int[problem.stageCount()];
    fill(problem, counts, 0, problem.layerCount(), bottleneck, count);
    return count[0];
  }

  private static void fill(
      PartitionProblem problem, int[] counts, int stage, int left, long bottleneck, int[] found) {
    if (stage == counts.length - 1) {
      counts[stage] = left;
      List<Integer> list = new ArrayList<>();
      for (int x : counts) {
        list.add(x);
      }
      if (problem.bottleneckNanos(new Partition(list)) == bottleneck) {
        found[0]++;
      }
      return;
    }
    for (int c = 1; c <= left - (counts.length - 1 - stage); c++) {
      counts[stage] = c;
      fill(problem, counts, stage + 1, left - c, bottleneck, found);
    }
  }
}
