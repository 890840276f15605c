package dev.pipeplan.cuda.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.cuda.CudaMain;
import dev.pipeplan.executor.core.equivalence.GradientEquivalence;
import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.train.OptimizerSettings;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.TransformerLayers;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CUDA backend's layers and pipeline run on {@link HostOps} (double precision): the math
 * without a GPU.
 */
class HostPipelineTest {
  private static ModelSpec tiny(boolean gated, int kvHeads) {
    return TransformerLayers.build(
        new TransformerConfig(
            "tiny",
            13,
            8,
            4,
            4,
            kvHeads,
            12,
            6,
            gated,
            true,
            false,
            5,
            dev.pipeplan.models.DType.FP32),
        5);
  }

  /**
   * A Qwen3-style tiny model: token embedding only, RMSNorms, rotary embeddings, heads of 4 over a
   * width of 8, per-head q/k norms, SwiGLU, grouped key/value heads, untied head.
   */
  private static ModelSpec tinyQwen3() {
    return TransformerLayers.build(
        TransformerConfig.llama("tiny-qwen3", 13, 8, 4, 4, 2, 12, 5, dev.pipeplan.models.DType.FP32)
            .withHeadDim(4)
            .withQkNorm(true)
            .withRopeTheta(3),
        5);
  }

  private static StreamPipeline pipeline(
      ModelSpec model, Partition partition, Schedule schedule, HostOps ops) {
    List<Ops> devices = new ArrayList<>();
    for (int d = 0; d < schedule.deviceCount(); d++) {
      devices.add(ops);
    }
    return new StreamPipeline(
        model, partition, schedule, 2, 7L, OptimizerSettings.sgd(0.1), devices, ActionTimer::host);
  }

  private static Map<String, float[]> gradients(
      ModelSpec model, Partition partition, Schedule schedule) {
    HostOps ops = new HostOps();
    try (StreamPipeline p = pipeline(model, partition, schedule, ops)) {
      p.runIteration(0, false);
      assertThat(p.heldStates()).isZero();
      return p.gradients();
    }
  }

  @ParameterizedTest
  @CsvSource({"1f1b,2,1", "zb-h1,2,1", "interleaved,2,2", "zb-v,2,2", "gpipe,3,1"})
  void pipelinedGradientsEqualSequentialOnes(String kind, int p, int v) {
    Map<String, float[]> pipelined = pipelinedEqualToSequential(tiny(false, 4), kind, p, v);
    assertThat(pipelined).containsKey("embedding.positions");
  }

  @ParameterizedTest
  @CsvSource({"1f1b,2,1", "zb-h1,2,1", "interleaved,2,2", "zb-v,2,2", "gpipe,3,1"})
  void llamaStylePipelinedGradientsEqualSequentialOnes(String kind, int p, int v) {
    assertThat(pipelinedEqualToSequential(tinyQwen3(), kind, p, v))
        .containsKeys("block0.qnorm.gain", "block0.knorm.gain", "lm_head.norm.gain")
        .doesNotContainKeys("embedding.positions", "block0.ln1.shift");
  }

  /**
   * The gradients of a pipelined run of {@code kind} over 4 micro-batches, checked equal to the
   * sequential run's, parameter for parameter.
   */
  private static Map<String, float[]> pipelinedEqualToSequential(
      ModelSpec model, String kind, int p, int v) {
    Schedule schedule =
        ScheduleGenerators.generate(new ScheduleRequest(ScheduleKind.parse(kind), p, 4, v, 0, 0));
    Partition partition = Partition.uniform(model.layerCount(), schedule.stageCount());
    Map<String, float[]> pipelined = gradients(model, partition, schedule);
    Map<String, float[]> sequential =
        gradients(
            model, Partition.of(model.layerCount()), GradientEquivalence.sequentialSchedule(4));
    assertThat(GradientEquivalence.maxRelativeDifference(sequential, pipelined)).isLessThan(1e-6);
    assertThat(pipelined).hasSize(sequential.size());
    return pipelined;
  }

  @Test
  void placementFollowsTheScheduleForLoopedAndVShapes() {
    Schedule interleaved =
        ScheduleGenerators.generate(
            new ScheduleRequest(ScheduleKind.parse("interleaved"), 2, 4, 2, 0, 0));
    StagePlacement looped = StagePlacement.of(interleaved, Partition.of(2, 1, 1, 2));
    assertThat(looped.devices()).containsExactly(0, 1, 0, 1);
    assertThat(looped.stagesOf(0)).containsExactly(0, 2);
    assertThat(looped.firstLayers()).containsExactly(0, 2, 3, 4);
    Schedule zbv =
        ScheduleGenerators.generate(new ScheduleRequest(ScheduleKind.parse("zb-v"), 2, 4, 2, 0, 0));
    assertThat(StagePlacement.of(zbv, Partition.of(2, 1, 1, 2)).devices())
        .containsExactly(0, 1, 1, 0);
  }

  @Test
  void lossGradientMatchesFiniteDifferences() {
    checkLossGradient(
        tiny(true, 2),
        List.of(
            "block1.q.weight",
            "block2.ln2.gain",
            "block3.gate.weight",
            "block3.down.bias",
            "embedding.tokens",
            "lm_head.proj.weight",
            "block1.k.weight"));
  }

  @Test
  void llamaStyleLossGradientMatchesFiniteDifferences() {
    checkLossGradient(
        tinyQwen3(),
        List.of(
            "block1.q.weight",
            "block1.k.weight",
            "block1.qnorm.gain",
            "block2.knorm.gain",
            "block2.ln1.gain",
            "block3.gate.weight",
            "embedding.tokens",
            "lm_head.norm.gain",
            "lm_head.proj.weight"));
  }

  private static void checkLossGradient(ModelSpec model, List<String> names) {
    Schedule schedule = GradientEquivalence.sequentialSchedule(2);
    HostOps ops = new HostOps();
    try (StreamPipeline p = pipeline(model, Partition.of(model.layerCount()), schedule, ops)) {
      p.runIteration(0, false);
      Map<String, float[]> grads = p.gradients();
      // perturb a few entries of several parameters through their host buffers and difference the
      // loss
      for (String name : names) {
        double[] values = p.parameterValues(name);
        for (int idx : new int[] {0, values.length / 2, values.length - 1}) {
          double h = 1e-6;
          double saved = values[idx];
          values[idx] = saved + h;
          double plus = p.runIteration(0, false).loss();
          values[idx] = saved - h;
          double minus = p.runIteration(0, false).loss();
          values[idx] = saved;
          double numeric = (plus - minus) / (2 * h);
          assertThat(grads.get(name)[idx])
              .as("%s[%d]", name, idx)
              .isCloseTo(
                  (float) numeric,
                  org.assertj.core.data.Offset.offset((float) (1e-5 + 1e-3 * Math.abs(numeric))));
        }
      }
      assertThat(ops.liveTensors()).isEqualTo(p.parameterTensorCount());
    }
  }

  @Test
  void rejectsStreamsThatDoNotMatchTheSchedule() {
    ModelSpec model = tiny(false, 4);
    Schedule schedule =
        ScheduleGenerators.generate(new ScheduleRequest(ScheduleKind.parse("1f1b"), 2, 4, 1, 0, 0));
    assertThatThrownBy(
            () ->
                new StreamPipeline(
                    model,
                    Partition.uniform(model.layerCount(), 2),
                    schedule,
                    2,
                    1L,
                    OptimizerSettings.sgd(0.1),
                    List.of(new HostOps()),
                    ActionTimer::host))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("has 2 devices but 1 streams");
  }

  @Test
  void cliRejectsBadInputWithExitTwo() {
    java.io.StringWriter err = new java.io.StringWriter();
    int code =
        CudaMain.execute(
            new String[] {"run", "--plan", "x.json", "--backend", "cpu"},
            new java.io.PrintWriter(new java.io.StringWriter()),
            new java.io.PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("backend 'cpu'");
    err.getBuffer().setLength(0);
    code =
        CudaMain.execute(
            new String[] {"gpu-check", "-o", "out", "--pp", "0"},
            new java.io.PrintWriter(new java.io.StringWriter()),
            new java.io.PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--pp must be > 0, got 0");
    assertThat(
            CudaMain.execute(
                new String[] {"run", "--bogus"},
                new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(new java.io.StringWriter())))
        .isEqualTo(2);
  }
}
