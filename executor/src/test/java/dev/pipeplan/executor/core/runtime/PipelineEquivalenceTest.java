package dev.pipeplan.executor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.executor.core.train.OptimizerSettings;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The gradients of a pipelined iteration equal those of the same batch run on one worker, for every
 * schedule kind the generators provide. Tolerance (fp32): each parameter's largest difference is at
 * most 1e-4 of its largest reference gradient, plus 1e-7; only the order of the fp32 sums over
 * micro-batches differs.
 */
class PipelineEquivalenceTest {
  static final int P = 2;
  static final int M = 4;
  static final int B = 2;
  static final long SEED = 7;
  static final double REL_TOL = 1e-4;
  static final double ABS_TOL = 1e-7;

  static ModelSpec model;
  static Map<String, float[]> reference;
  static double referenceLoss;

  @BeforeAll
  static void runSequentially() {
    model = ModelLoader.load("gpt-tiny", 16);
    Schedule single = ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.GPIPE, 1, M, 1));
    try (PipelineRuntime runtime =
        new PipelineRuntime(
            PipelineConfig.of(model, Partition.of(model.layerCount()), single, B, SEED),
            NanoClock.system(),
            new dev.pipeplan.executor.cpu.Nd4jOps())) {
      referenceLoss = runtime.runIteration(0, false).loss();
      reference = runtime.gradients();
    }
  }

  static int virtualStages(ScheduleKind kind) {
    switch (kind) {
      case INTERLEAVED_1F1B:
      case LOOPED_BFS:
      case ZB_V:
      case V_HALF:
      case V_MIN:
      case DUALPIPE_V:
        return 2;
      default:
        return 1;
    }
  }

  static void assertSameGradients(Map<String, float[]> actual, String what) {
    assertThat(actual.keySet()).containsExactlyElementsOf(reference.keySet());
    for (Map.Entry<String, float[]> e : reference.entrySet()) {
      float[] ref = e.getValue();
      float[] got = actual.get(e.getKey());
      assertThat(got).as("gradient of %s", e.getKey()).hasSameSizeAs(ref);
      double scale = 0;
      double diff = 0;
      for (int i = 0; i < ref.length; i++) {
        scale = Math.max(scale, Math.abs(ref[i]));
        diff = Math.max(diff, Math.abs((double) got[i] - ref[i]));
      }
      assertThat(scale).as("reference gradient of %s", e.getKey()).isPositive();
      assertThat(diff)
          .as("%s: gradient of %s differs by %s (largest %s)", what, e.getKey(), diff, scale)
          .isLessThanOrEqualTo(REL_TOL * scale + ABS_TOL);
    }
  }

  @ParameterizedTest
  @EnumSource(ScheduleKind.class)
  void pipelinedGradientsEqualTheSequentialRun(ScheduleKind kind) {
    int v = virtualStages(kind);
    // Every kind has a generator: one that throws here is a regression, not a skip.
    Schedule schedule = ScheduleGenerators.generate(ScheduleRequest.of(kind, P, M, v));
    Partition partition = Partition.uniform(model.layerCount(), schedule.stageCount());
    try (PipelineRuntime runtime =
        new PipelineRuntime(
            PipelineConfig.of(model, partition, schedule, B, SEED),
            NanoClock.system(),
            new dev.pipeplan.executor.cpu.Nd4jOps())) {
      IterationResult result = runtime.runIteration(0, false);
      assertSameGradients(runtime.gradients(), kind.id());
      assertThat(result.loss())
          .isCloseTo(referenceLoss, org.assertj.core.api.Assertions.within(1e-5));
      Timeline t = result.timeline();
      assertThat(t.source()).isEqualTo(Timeline.MEASURED);
      assertThat(t.actions()).hasSize(schedule.actionCount());
      for (var stage : runtime.stages()) {
        assertThat(stage.heldStates()).as("state left in stage %d", stage.stage()).isZero();
      }
    }
  }

  @Test
  void anIterationLeavesOnlyTheParametersAndCloseFreesThem() {
    Schedule schedule =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ZB_H1, P, M, 1));
    dev.pipeplan.executor.cpu.Nd4jOps ops = new dev.pipeplan.executor.cpu.Nd4jOps();
    PipelineRuntime runtime =
        new PipelineRuntime(
            PipelineConfig.of(model, Partition.uniform(model.layerCount(), P), schedule, B, SEED)
                .withOptimizer(OptimizerSettings.adam(1e-3)),
            NanoClock.system(),
            ops);
    long parameters = 0;
    for (var stage : runtime.stages()) {
      parameters += stage.parameters().size();
    }
    assertThat(ops.liveTensors()).as("values and gradients").isEqualTo(2 * parameters);
    runtime.runIteration(0);
    runtime.runIteration(1);
    assertThat(ops.liveTensors()).as("with Adam's two moments").isEqualTo(4 * parameters);
    runtime.close();
    assertThat(ops.liveTensors()).isZero();
  }

  @Test
  void oneMicroBatchOfTheWholeBatchGivesTheSameGradients() {
    Schedule single =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, 1, 1, 1));
    try (PipelineRuntime runtime =
        new PipelineRuntime(
            PipelineConfig.of(model, Partition.of(model.layerCount()), single, B * M, SEED),
            NanoClock.system(),
            new dev.pipeplan.executor.cpu.Nd4jOps())) {
      double loss = runtime.runIteration(0, false).loss();
      assertThat(loss).isCloseTo(referenceLoss, org.assertj.core.api.Assertions.within(1e-5));
      assertSameGradients(runtime.gradients(), "one micro-batch of " + B * M);
    }
  }

  @Test
  void actionsOfADeviceNeverOverlapAndFollowTheScheduleOrder() {
    Schedule schedule =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, P, M, 1));
    try (PipelineRuntime runtime =
        new PipelineRuntime(
            PipelineConfig.of(model, Partition.uniform(model.layerCount(), P), schedule, B, SEED),
            NanoClock.system(),
            new dev.pipeplan.executor.cpu.Nd4jOps())) {
      Timeline t = runtime.runIteration(0).timeline();
      for (int d = 0; d < P; d++) {
        final int device = d;
        var mine = t.actions().stream().filter(a -> a.device() == device).toList();
        assertThat(mine)
            .extracting(a -> a.action())
            .containsExactlyElementsOf(schedule.deviceActions().get(d));
        for (int i = 1; i < mine.size(); i++) {
          assertThat(mine.get(i).startNanos()).isGreaterThanOrEqualTo(mine.get(i - 1).endNanos());
        }
      }
    }
  }
}
