package dev.pipeplan.executor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import org.junit.jupiter.api.Test;

class GradientEquivalenceTest {
  static final ModelSpec MODEL = ModelLoader.load("gpt-tiny", 8);

  @Test
  void zeroBubbleScheduleAgreesWithTheSequentialRun() {
    Schedule schedule =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ZB_H1, 2, 4, 1));
    PipelineConfig config =
        PipelineConfig.of(MODEL, Partition.uniform(MODEL.layerCount(), 2), schedule, 1, 9);
    assertThat(
            GradientEquivalence.maxRelativeDifference(
                config, dev.pipeplan.executor.cpu.Nd4jOps::new))
        .isLessThanOrEqualTo(GradientEquivalence.FP32_TOLERANCE);
  }

  @Test
  void sequentialCounterpartRunsEveryMicroBatchOnOneWorker() {
    Schedule schedule =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, 2, 3, 1));
    PipelineConfig seq =
        GradientEquivalence.sequential(
            PipelineConfig.of(MODEL, Partition.uniform(MODEL.layerCount(), 2), schedule, 2, 9));
    assertThat(seq.schedule().deviceCount()).isEqualTo(1);
    assertThat(seq.schedule().deviceActions().get(0)).hasSize(6);
    assertThat(seq.partition().stageCount()).isEqualTo(1);
    assertThat(seq.globalBatch()).isEqualTo(6);
  }
}
