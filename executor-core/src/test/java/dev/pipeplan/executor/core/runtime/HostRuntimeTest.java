package dev.pipeplan.executor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The thread-per-device driver with no native library: on the pure-Java {@link HostOps}, a
 * pipelined iteration's gradients equal the sequential run's, and nothing is left allocated.
 */
class HostRuntimeTest {
  private static final ModelSpec MODEL = ModelLoader.load("gpt-tiny", 8);

  @ParameterizedTest
  @CsvSource({"1f1b, 1", "zb-h1, 1", "interleaved, 2", "zb-v, 2", "dualpipev, 2"})
  void pipelinedGradientsEqualSequentialOnesOnTheHostOps(String kind, int v) {
    Schedule schedule =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.parse(kind), 2, 4, v));
    PipelineConfig config =
        PipelineConfig.of(
            MODEL, Partition.uniform(MODEL.layerCount(), schedule.stageCount()), schedule, 1, 9);
    // HostOps computes in double precision: far inside the fp32 tolerance.
    assertThat(GradientEquivalence.maxRelativeDifference(config, HostOps::new))
        .as(kind)
        .isLessThan(1e-9);

    HostOps ops = new HostOps();
    try (PipelineRuntime runtime = new PipelineRuntime(config, NanoClock.system(), ops)) {
      runtime.runIteration(0);
      assertThat(ops.liveTensors()).isPositive();
    }
    assertThat(ops.liveTensors()).as(kind + ": buffers left after close").isZero();
  }
}
