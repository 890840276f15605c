package dev.pipeplan.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.executor.core.runtime.NanoClock;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PredictedMetrics;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.simulator.compare.Comparison;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunJson;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanRunnerTest {

  static Plan plan(ScheduleKind kind) {
    ModelSpec model = ModelLoader.load("gpt-tiny", 8);
    TrainingSpec training = new TrainingSpec(8, 8, DType.FP32, Optimizer.adamFp32(), false);
    SearchOptions options =
        SearchOptions.defaults().withPp(2).withTp(1).withKinds(List.of(kind)).withMicroBatchSize(2);
    return PlanBuilder.fromSearch(
        Planner.search(
            model, training, Clusters.load("cpu:1x2"), options, ProgressListener.none()));
  }

  static Plan withPredicted(Plan p, PredictedMetrics predicted) {
    return new Plan(
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
        p.stageToDevice(),
        p.placement(),
        p.stageCosts(),
        p.links(),
        predicted,
        p.reason(),
        p.runnersUp(),
        p.pareto(),
        p.search(),
        Provenance.unrecorded());
  }

  @Test
  void runsThePlanAndMatchesEveryPredictedAction() {
    Plan plan = plan(ScheduleKind.ONE_F_ONE_B);
    List<String> progress = new ArrayList<>();
    MeasuredRun run =
        PlanRunner.run(
            plan, new PlanRunner.Options(2, 1, 1, 3L, 1e-3), NanoClock.system(), progress::add);
    // One warm-up line, then a line per attempted iteration: two, and up to four more when the
    // machine ran slow around some of them. The run keeps every attempt that ran at the machine's
    // usual speed (at least the two asked for, when there are two) and discards the others.
    assertThat(progress).hasSizeBetween(3, 7);
    int attempts = progress.size() - 1;
    assertThat(run.noise().iterationSlowdowns()).hasSize(attempts);
    assertThat(run.iterations())
        .hasSizeGreaterThanOrEqualTo(2)
        .hasSize(attempts - run.noise().discardedIterations());
    assertThat(run.losses()).hasSize(run.iterations().size());
    assertThat(run.scheduleName()).isEqualTo("1f1b");
    assertThat(run.pipelineDevices()).isEqualTo(2);
    assertThat(run.microBatchCount() * run.microBatchSize()).isEqualTo(8);
    assertThat(run.predicted().source()).isEqualTo(Timeline.PREDICTED);
    assertThat(run.representative().source()).isEqualTo(Timeline.MEASURED);
    Comparison c = run.comparison();
    assertThat(c.unmatchedActions()).isZero();
    assertThat(c.actions()).hasSize(run.predicted().actions().size());
    assertThat(c.measuredIterationNanos()).isPositive();
    assertThat(RunJson.read(RunJson.write(run))).isEqualTo(run);
  }

  @Test
  void runsAHuggingFaceLlamaConfigWithEveryActionMatched() {
    // hidden 128, 4 heads over 2 key/value heads, 4 blocks, vocabulary 256, rope_theta 500000
    ModelSpec model =
        ModelLoader.load(
            java.nio.file.Path.of("src/test/resources/hf/llama-tiny/config.json").toString(), 16);
    assertThat(model.layer(0).shape().values()).containsEntry("positions", 0L);
    assertThat(model.layer(1).shape().values()).containsEntry("ropeTheta", 500_000L);
    TrainingSpec training = new TrainingSpec(8, 16, DType.FP32, Optimizer.adamFp32(), false);
    SearchOptions options =
        SearchOptions.defaults()
            .withPp(2)
            .withTp(1)
            .withKinds(List.of(ScheduleKind.ZB_H1))
            .withMicroBatchSize(2);
    Plan plan =
        PlanBuilder.fromSearch(
            Planner.search(
                model, training, Clusters.load("cpu:1x2"), options, ProgressListener.none()));
    MeasuredRun run =
        PlanRunner.run(
            plan, new PlanRunner.Options(2, 0, 1, 3L, 1e-3), NanoClock.system(), s -> {});
    assertThat(run.comparison().unmatchedActions()).isZero();
    assertThat(run.comparison().actions()).hasSize(run.predicted().actions().size());
    // a freshly initialised model predicts about uniformly, near ln(256), and learns: on a busy
    // machine the speed probe replaces slow iterations (up to three times the two asked for), so
    // the first kept loss may come after a few Adam steps of 1e-3 (about 0.2 each here), below
    // ln(256) but never above it, and never diverging
    assertThat(run.losses())
        .allSatisfy(loss -> assertThat(loss).isBetween(Math.log(256) - 1.5, Math.log(256) + 0.3));
  }

  @Test
  void keepsTheIterationsAtNormalSpeedOrElseTheLeastSlowedDown() {
    dev.pipeplan.executor.core.runtime.MachineSpeed enough =
        new dev.pipeplan.executor.core.runtime.MachineSpeed();
    for (long s : new long[] {100, 150, 100, 102, 100}) {
      enough.add(s);
    }
    // Median 100: iterations 0 and 1 are bracketed by the 150 sample; 2 and 3 ran at usual speed.
    assertThat(
            dev.pipeplan.executor.core.runtime.ThreadedRunner.kept(
                enough.slowdowns(), java.util.List.of(), 2))
        .containsExactly(2, 3);
    dev.pipeplan.executor.core.runtime.MachineSpeed slow =
        new dev.pipeplan.executor.core.runtime.MachineSpeed();
    for (long s : new long[] {100, 140, 120, 160, 100}) {
      slow.add(s);
    }
    // Median 120: slowdowns 1/6, 1/6, 1/3, 1/3, all over 15%: the two least, in order.
    assertThat(
            dev.pipeplan.executor.core.runtime.ThreadedRunner.kept(
                slow.slowdowns(), java.util.List.of(), 2))
        .containsExactly(0, 1);
    assertThat(
            dev.pipeplan.executor.core.runtime.ThreadedRunner.kept(
                slow.slowdowns(), java.util.List.of(), 3))
        .containsExactly(0, 1, 2);
    // The iterations' own pace flags what the probe missed: attempt 2's actions ran 10% over
    // their median (the margin is 8%), attempt 3's 5%.
    java.util.List<Double> probe = java.util.List.of(0.0, 0.0, 0.0, 0.0);
    java.util.List<Double> pace = java.util.List.of(0.0, 0.02, 0.10, 0.05);
    assertThat(dev.pipeplan.executor.core.runtime.ThreadedRunner.kept(probe, pace, 3))
        .containsExactly(0, 1, 3);
    // Too few at the usual pace: the least slowed down, each slowdown over its own margin (a
    // probe 30% slow is 2 margins, actions 10% slow 1.25, 20% slow 2.5), in order.
    assertThat(
            dev.pipeplan.executor.core.runtime.ThreadedRunner.kept(
                java.util.List.of(0.30, 0.0, 0.0), java.util.List.of(0.0, 0.10, 0.20), 2))
        .containsExactly(0, 1);
  }

  @Test
  void refusesAPlanWhoseDevicesTogetherNeedMoreThanThisMachine() {
    Plan plan = plan(ScheduleKind.ONE_F_ONE_B);
    long sum = 0;
    for (var d : plan.predicted().devices()) {
      sum += d.peakMemoryBytes();
    }
    long perType = plan.training().dtype().bytes() < 4 ? 4L / plan.training().dtype().bytes() : 1;
    long needed = sum * perType;
    PlanRunner.checkFitsThisMachine(plan, needed); // exactly enough: runs
    assertThatThrownBy(() -> PlanRunner.checkFitsThisMachine(plan, needed - 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("this machine gives the CPU executor")
        .hasMessageContaining("--cluster cpu:1x" + plan.parallelism().pp());
  }

  @Test
  void refusesAPlanPredictedOverItsMemoryLimit() {
    Plan plan = plan(ScheduleKind.GPIPE);
    PredictedMetrics p = plan.predicted();
    long limit = p.peakMemoryBytes() / 2;
    Plan over =
        withPredicted(
            plan,
            new PredictedMetrics(
                p.iterationNanos(),
                p.pipelineNanos(),
                p.dataParallelSyncNanos(),
                p.optimizerStepNanos(),
                p.bubbleRatio(),
                p.throughputSamplesPerSecond(),
                p.throughputTokensPerSecond(),
                p.peakMemoryBytes(),
                limit,
                p.devices()));
    assertThatThrownBy(
            () -> PlanRunner.run(over, PlanRunner.Options.defaults(), NanoClock.system(), s -> {}))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("over its limit")
        .hasMessageContaining("the plan is not run");
  }

  @Test
  void checkRefusesFp8LinearsBeforeAnythingRuns() {
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
    assertThatThrownBy(() -> PlanRunner.check(fp8))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("but the CPU executor runs every GEMM in fp32 and has no FP8 GEMMs")
        .hasMessageContaining("Maybe re-plan without --fp8 to run it");
  }
}
