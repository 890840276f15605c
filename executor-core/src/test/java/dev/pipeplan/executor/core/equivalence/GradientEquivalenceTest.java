package dev.pipeplan.executor.core.equivalence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GradientEquivalenceTest {
  @Test
  void sequentialCounterpartRunsEveryMicroBatchOnOneDevice() {
    Schedule seq = GradientEquivalence.sequentialSchedule(3);
    assertThat(seq.deviceCount()).isEqualTo(1);
    assertThat(seq.stageCount()).isEqualTo(1);
    assertThat(seq.microBatchCount()).isEqualTo(3);
    assertThat(seq.deviceActions().get(0))
        .containsExactly(
            Action.of(ActionType.F, 0, 0),
            Action.of(ActionType.B, 0, 0),
            Action.of(ActionType.F, 0, 1),
            Action.of(ActionType.B, 0, 1),
            Action.of(ActionType.F, 0, 2),
            Action.of(ActionType.B, 0, 2));
    Partition one = GradientEquivalence.sequentialPartition(Partition.of(2, 3, 1));
    assertThat(one.stageCount()).isEqualTo(1);
    assertThat(one.layerCount()).isEqualTo(6);
  }

  @Test
  void measureIsLargestDifferenceOverLargestReferencePerParameter() {
    Map<String, float[]> reference =
        Map.of("a", new float[] {2f, -4f}, "b", new float[] {1f}, "zero", new float[] {0f});
    Map<String, float[]> actual =
        Map.of("a", new float[] {2.5f, -4f}, "b", new float[] {1.01f}, "zero", new float[] {0f});
    // a: 0.5 / 4; b: 0.01 / 1; zero: 0
    assertThat(GradientEquivalence.maxRelativeDifference(reference, actual))
        .isCloseTo(0.125, org.assertj.core.data.Offset.offset(1e-9));
    Map<String, float[]> zeroOff = Map.of("zero", new float[] {0.25f});
    assertThat(GradientEquivalence.maxRelativeDifference(Map.of("zero", new float[] {0f}), zeroOff))
        .isEqualTo(0.25);
  }

  @Test
  void rejectsAMissingOrResizedParameter() {
    Map<String, float[]> reference = Map.of("w", new float[] {1f, 2f});
    assertThatThrownBy(() -> GradientEquivalence.maxRelativeDifference(reference, Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("parameter w is missing or differs in size");
    assertThatThrownBy(
            () ->
                GradientEquivalence.maxRelativeDifference(reference, Map.of("w", new float[] {1f})))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void runsThePipelinedLayoutThenItsSequentialCounterpartAsReference() {
    Schedule schedule =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, 2, 4, 1));
    Partition partition = Partition.of(3, 2);
    List<Integer> stageCounts = new ArrayList<>();
    double diff =
        GradientEquivalence.maxRelativeDifference(
            (p, s) -> {
              stageCounts.add(s.stageCount());
              assertThat(p.layerCount()).isEqualTo(5);
              assertThat(s.microBatchCount()).isEqualTo(4);
              // the pipelined run is off by 1 in 10 against the sequential reference
              float value = s.stageCount() == 1 ? 10f : 11f;
              return Map.of("w", new float[] {value});
            },
            partition,
            schedule);
    assertThat(stageCounts).containsExactly(2, 1);
    assertThat(diff).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
  }
}
