package dev.pipeplan.executor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineFaultTest {
  static final ModelSpec MODEL = ModelLoader.load("gpt-tiny", 8);

  static long liveWorkers() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("pipeplan-worker") && t.isAlive())
        .count();
  }

  @Test
  void aFailingWorkerStopsTheRunNamingDeviceStageAndAction() {
    Schedule good = ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.GPIPE, 2, 2, 1));
    // device 1 runs its backward of micro-batch 1 before that micro-batch's forward
    List<Action> broken = new ArrayList<>(good.deviceActions().get(1));
    broken.add(0, Action.of(ActionType.B, 1, 1));
    broken.remove(broken.lastIndexOf(Action.of(ActionType.B, 1, 1)));
    Schedule schedule =
        new Schedule(
            "broken", 2, 2, good.stageToDevice(), List.of(good.deviceActions().get(0), broken));
    long before = liveWorkers();
    PipelineRuntime runtime =
        new PipelineRuntime(
            PipelineConfig.of(MODEL, Partition.uniform(MODEL.layerCount(), 2), schedule, 1, 3),
            NanoClock.system(),
            new dev.pipeplan.executor.cpu.Nd4jOps());
    long start = System.nanoTime();
    assertThatThrownBy(() -> runtime.runIteration(0))
        .isInstanceOf(ExecutionFailedException.class)
        .hasMessageContaining("device 1 failed at action 1B1 (stage 1, micro-batch 1, B)")
        .hasMessageContaining("no forward of micro-batch 1");
    // device 0 was waiting for a gradient that never comes; it is interrupted, not left to time out
    assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(30).toNanos());
    runtime.close();
    assertThat(liveWorkers()).isLessThanOrEqualTo(before);
    assertThatThrownBy(() -> runtime.runIteration(1)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aDeadlockedScheduleFailsAfterTheWaitTimeout() {
    // both devices start with a backward that waits on the other
    Schedule good = ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.GPIPE, 2, 1, 1));
    Schedule schedule =
        new Schedule(
            "deadlock",
            2,
            1,
            good.stageToDevice(),
            List.of(
                List.of(Action.of(ActionType.B, 0, 0), Action.of(ActionType.F, 0, 0)),
                List.of(Action.of(ActionType.F, 1, 0), Action.of(ActionType.B, 1, 0))));
    try (PipelineRuntime runtime =
        new PipelineRuntime(
            PipelineConfig.of(MODEL, Partition.uniform(MODEL.layerCount(), 2), schedule, 1, 3)
                .withWaitTimeout(Duration.ofMillis(300)),
            NanoClock.system(),
            new dev.pipeplan.executor.cpu.Nd4jOps())) {
      assertThatThrownBy(() -> runtime.runIteration(0))
          .isInstanceOf(ExecutionFailedException.class)
          .hasMessageContaining("did not arrive within 0.3 s; the schedule may deadlock");
    }
  }

  @Test
  void rejectsAPartitionThatDoesNotMatchTheSchedule() {
    Schedule schedule =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.GPIPE, 2, 2, 1));
    assertThatThrownBy(
            () ->
                PipelineConfig.of(MODEL, Partition.uniform(MODEL.layerCount(), 3), schedule, 1, 3))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("3 stages but schedule");
  }
}
