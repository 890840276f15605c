package dev.pipeplan.executor.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanChecksTest {
  private static Plan plan(String cluster) {
    return plan(cluster, 1);
  }

  /** gpt-tiny at s = 8 in two 1F1B stages on {@code cluster}, each sequence over cp devices. */
  private static Plan plan(String cluster, int cp) {
    return PlanBuilder.fromSearch(
        Planner.search(
            ModelLoader.load("gpt-tiny", 8),
            new TrainingSpec(8, 8, DType.FP32, Optimizer.adamFp32(), false),
            Clusters.load(cluster),
            SearchOptions.defaults()
                .withPp(2)
                .withTp(1)
                .withKinds(List.of(ScheduleKind.ONE_F_ONE_B))
                .withMicroBatchSize(2)
                .withContextParallel(cp),
            ProgressListener.none()));
  }

  @Test
  void acceptsOnePipelineReplicaAndRefusesDataParallelismNamingTheBackend() {
    assertThatCode(() -> PlanChecks.requireOnePipelineReplica(plan("cpu:1x2"), "x", "Maybe y."))
        .doesNotThrowAnyException();
    assertThatThrownBy(
            () ->
                PlanChecks.requireOnePipelineReplica(
                    plan("cpu:1x4"), "the cuda backend", "Maybe plan with --dp 1 --tp 1."))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "the plan uses dp 2 and tp 1; the cuda backend runs one pipeline replica without tensor"
                + " parallelism. Maybe plan with --dp 1 --tp 1.");
  }

  @Test
  void refusesContextParallelismEvenInOneReplicaAskingForCpOne() {
    // pp 2 x cp 2 on four devices: dp 1 and tp 1, but every sequence split over two devices; the
    // backend's hint asks for --tp 1, which this plan already has
    Plan cp2 = plan("cpu:1x4", 2);
    assertThat(cp2.parallelism().dp()).isEqualTo(1);
    assertThat(cp2.parallelism().tp()).isEqualTo(1);
    assertThatThrownBy(
            () ->
                PlanChecks.requireOnePipelineReplica(
                    cp2, "the CPU executor", "Maybe plan with --tp 1 on a cluster of pp devices."))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "the plan uses dp 1, tp 1 and cp 2; the CPU executor runs one pipeline replica without"
                + " tensor or context parallelism, one device per stage holding whole sequences, so"
                + " it needs cp 1 (a plan made without --cp). Maybe plan with --cp 1 --pp 2 on a"
                + " cluster of 2 devices, for example --cluster cpu:1x2.");
  }

  @Test
  void aPlanWithTensorAndContextParallelismIsAskedForBothOff() {
    Plan plan =
        PlanBuilder.fromSearch(
            Planner.search(
                ModelLoader.load("gpt-tiny", 8),
                new TrainingSpec(8, 8, DType.FP32, Optimizer.adamFp32(), false),
                Clusters.load("h100:1x8"),
                SearchOptions.defaults()
                    .withPp(2)
                    .withTp(2)
                    .withKinds(List.of(ScheduleKind.ONE_F_ONE_B))
                    .withMicroBatchSize(2)
                    .withContextParallel(2),
                ProgressListener.none()));
    assertThat(plan.parallelism().tp()).isEqualTo(2);
    assertThatThrownBy(
            () -> PlanChecks.requireOnePipelineReplica(plan, "the cuda backend", "Maybe y."))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("the plan uses dp 1, tp 2 and cp 2; the cuda backend")
        .hasMessageEndingWith(
            " Maybe plan with --cp 1 --tp 1 --pp 2 on a cluster of 2 devices, for example"
                + " --cluster "
                + plan.cluster().device(0).name()
                + ":1x2.");
  }

  @Test
  void refusesFp8LinearsNamingTheBackend() {
    // gpt-tiny in bf16 with FP8 linears on two H100s: the plan the search makes for --fp8
    Plan fp8 =
        PlanBuilder.fromSearch(
            Planner.search(
                ModelLoader.load("gpt-tiny", 8),
                TrainingSpec.of(8, 8, DType.BF16).withFp8Linears(true),
                Clusters.load("h100:1x2"),
                SearchOptions.defaults()
                    .withPp(2)
                    .withTp(1)
                    .withKinds(List.of(ScheduleKind.ONE_F_ONE_B))
                    .withMicroBatchSize(2),
                ProgressListener.none()));
    assertThat(fp8.training().fp8Linears()).isTrue();
    assertThatThrownBy(() -> PlanChecks.requireNoFp8Linears(fp8, "the cuda backend"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "the plan has training.fp8Linears = true (made with 'pipeplan plan --fp8': the"
                + " transformer blocks' linear GEMMs in FP8 with per-tensor scaling), but the cuda"
                + " backend runs every GEMM in fp32 and has no FP8 GEMMs, so it cannot measure what"
                + " the plan predicts. Maybe re-plan without --fp8 to run it, or export the plan to"
                + " megatron or torchtitan, which run FP8 linears.");
    assertThatCode(() -> PlanChecks.requireNoFp8Linears(plan("cpu:1x2"), "the CPU executor"))
        .doesNotThrowAnyException();
  }
}
