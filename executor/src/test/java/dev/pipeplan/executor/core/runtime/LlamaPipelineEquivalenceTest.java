package dev.pipeplan.executor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.executor.cpu.Nd4jOps;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.zoo.ProjectionBiases;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.TransformerLayers;
import dev.pipeplan.models.zoo.Zoo;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link PipelineEquivalenceTest}'s check for the Llama family on nd4j: RMSNorm, rotary embeddings,
 * grouped-query attention, SwiGLU and an untied head (llama-tiny-cpu at 16 tokens), and a
 * Qwen3-style variant with biases on q, k and v, heads wider than hidden / heads and per-head q/k
 * norms. For every schedule kind the pipelined gradients equal the sequential run's, within the
 * same fp32 tolerance.
 */
class LlamaPipelineEquivalenceTest {
  private static final Map<String, Reference> REFERENCES = new HashMap<>();

  private record Reference(Map<String, float[]> gradients, double loss) {}

  static Stream<Arguments> modelsAndKinds() {
    return Stream.of("llama", "qwen3")
        .flatMap(m -> Arrays.stream(ScheduleKind.values()).map(k -> Arguments.of(m, k)));
  }

  static ModelSpec model(String which) {
    if (which.equals("llama")) {
      return Zoo.get("llama-tiny-cpu", 16);
    }
    return TransformerLayers.build(
        TransformerConfig.llama("qwen3-tiny", 97, 32, 4, 4, 2, 48, 16, DType.FP32)
            .withHeadDim(16)
            .withProjectionBiases(ProjectionBiases.QKV)
            .withQkNorm(true)
            .withRopeTheta(1_000_000),
        16);
  }

  private static synchronized Reference reference(String which) {
    return REFERENCES.computeIfAbsent(
        which,
        w -> {
          ModelSpec model = model(w);
          Schedule single =
              ScheduleGenerators.generate(
                  ScheduleRequest.of(ScheduleKind.GPIPE, 1, PipelineEquivalenceTest.M, 1));
          try (PipelineRuntime runtime =
              new PipelineRuntime(
                  PipelineConfig.of(
                      model,
                      Partition.of(model.layerCount()),
                      single,
                      PipelineEquivalenceTest.B,
                      PipelineEquivalenceTest.SEED),
                  NanoClock.system(),
                  new Nd4jOps())) {
            double loss = runtime.runIteration(0, false).loss();
            return new Reference(runtime.gradients(), loss);
          }
        });
  }

  @ParameterizedTest
  @MethodSource("modelsAndKinds")
  void pipelinedGradientsEqualTheSequentialRun(String which, ScheduleKind kind) {
    ModelSpec model = model(which);
    Reference ref = reference(which);
    int v = PipelineEquivalenceTest.virtualStages(kind);
    Schedule schedule =
        ScheduleGenerators.generate(
            ScheduleRequest.of(kind, PipelineEquivalenceTest.P, PipelineEquivalenceTest.M, v));
    Partition partition = Partition.uniform(model.layerCount(), schedule.stageCount());
    try (PipelineRuntime runtime =
        new PipelineRuntime(
            PipelineConfig.of(
                model,
                partition,
                schedule,
                PipelineEquivalenceTest.B,
                PipelineEquivalenceTest.SEED),
            NanoClock.system(),
            new Nd4jOps())) {
      IterationResult result = runtime.runIteration(0, false);
      Map<String, float[]> got = runtime.gradients();
      assertThat(got.keySet()).containsExactlyElementsOf(ref.gradients().keySet());
      assertThat(got.keySet())
          .contains("block0.ln1.gain", "lm_head.norm.gain")
          .doesNotContain("block0.ln1.shift", "embedding.positions");
      for (Map.Entry<String, float[]> e : ref.gradients().entrySet()) {
        float[] want = e.getValue();
        float[] have = got.get(e.getKey());
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < want.length; i++) {
          scale = Math.max(scale, Math.abs(want[i]));
          diff = Math.max(diff, Math.abs((double) have[i] - want[i]));
        }
        assertThat(scale).as("reference gradient of %s", e.getKey()).isPositive();
        assertThat(diff)
            .as(
                "%s %s: gradient of %s differs by %s (largest %s)",
                which, kind, e.getKey(), diff, scale)
            .isLessThanOrEqualTo(
                PipelineEquivalenceTest.REL_TOL * scale + PipelineEquivalenceTest.ABS_TOL);
      }
      assertThat(result.loss()).isCloseTo(ref.loss(), within(1e-5));
    }
  }
}
