package dev.pipeplan.simulator.schedule.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.check.InFlight;
import dev.pipeplan.simulator.schedule.check.ScheduleValidator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exact orders, closed-form in-flight counts and the constraints each kind states. */
class ScheduleOrdersTest {
  static String order(Schedule s, int device) {
    StringBuilder b = new StringBuilder();
    for (Action a : s.deviceActions().get(device)) {
      b.append(b.length() == 0 ? "" : " ").append(a);
    }
    return b.toString();
  }

  static Schedule generate(ScheduleKind kind, int p, int m, int v) {
    return ScheduleGenerators.generate(ScheduleRequest.of(kind, p, m, v));
  }

  @Test
  void oneFOneBWarmsUpWithPMinusOneMinusRForwards() {
    Schedule s = generate(ScheduleKind.ONE_F_ONE_B, 4, 6, 1);
    assertThat(order(s, 0)).isEqualTo("0F0 0F1 0F2 0F3 0B0 0F4 0B1 0F5 0B2 0B3 0B4 0B5");
    assertThat(order(s, 3)).isEqualTo("3F0 3B0 3F1 3B1 3F2 3B2 3F3 3B3 3F4 3B4 3F5 3B5");
  }

  @Test
  void oneFOneBKeepsPMinusRInFlightAndGPipeKeepsM() {
    assertThat(InFlight.peakPerDevice(generate(ScheduleKind.ONE_F_ONE_B, 4, 8, 1)))
        .containsExactly(4, 3, 2, 1);
    assertThat(InFlight.peakPerDevice(generate(ScheduleKind.GPIPE, 4, 8, 1)))
        .containsExactly(8, 8, 8, 8);
  }

  @Test
  void zeroBubbleH1DefersRWeightGradientsOnDeviceR() {
    Schedule s = generate(ScheduleKind.ZB_H1, 4, 8, 1);
    assertThat(order(s, 0)).startsWith("0F0 0F1 0F2 0F3 0I0 0W0 0F4 0I1 0W1");
    assertThat(order(s, 3)).startsWith("3F0 3I0 3F1 3I1 3F2 3I2 3F3 3I3 3W0 3F4");
    assertThat(order(s, 3)).endsWith("3I7 3W4 3W5 3W6 3W7");
  }

  @Test
  void zeroBubbleKindsKeepThePapersMemory() {
    assertThat(InFlight.peakPerDevice(generate(ScheduleKind.ZB_H1, 4, 8, 1))).containsOnly(4);
    assertThat(InFlight.peakPerDevice(generate(ScheduleKind.ZB_H2, 4, 8, 1))).containsOnly(7);
    assertThat(InFlight.peakPerDevice(generate(ScheduleKind.ZB_V, 4, 8, 2))).containsOnly(8);
    assertThat(InFlight.peakPerDevice(generate(ScheduleKind.DUALPIPE_V, 4, 8, 2))).containsOnly(9);
    // V-Half: (p+2)/2 micro-batches, p + 2 chunk activation sets; V-Min: (p+4)/3, 2(p+4)/3 sets.
    assertThat(InFlight.peakPerDevice(generate(ScheduleKind.V_HALF, 6, 12, 2)))
        .allMatch(n -> n <= 8);
    assertThat(InFlight.peakPerDevice(generate(ScheduleKind.V_MIN, 6, 12, 2)))
        .allMatch(n -> n <= 7);
  }

  @Test
  void interleavedVisitsChunksGroupByGroup() {
    Schedule s =
        ScheduleGenerators.generate(
            new ScheduleRequest(ScheduleKind.INTERLEAVED_1F1B, 2, 4, 2, 2, 0));
    assertThat(order(s, 1))
        .isEqualTo("1F0 1F1 3F0 3B0 3F1 3B1 1F2 1B0 1F3 1B1 3F2 3B2 3F3 3B3 1B2 1B3");
  }

  @Test
  void loopedBfsRunsEveryMicroBatchThroughAChunkBeforeTheNext() {
    Schedule s = generate(ScheduleKind.LOOPED_BFS, 2, 2, 2);
    assertThat(order(s, 0)).isEqualTo("0F0 0F1 2F0 2F1 2B1 2B0 0B1 0B0");
  }

  @Test
  void vShapedKindsPlaceStagesInAV() {
    for (ScheduleKind kind :
        List.of(
            ScheduleKind.ZB_V, ScheduleKind.V_HALF, ScheduleKind.V_MIN, ScheduleKind.DUALPIPE_V)) {
      assertThat(generate(kind, 3, 6, 2).stageToDevice())
          .as(kind.id())
          .containsExactly(0, 1, 2, 2, 1, 0);
    }
  }

  @Test
  void kindsDescribeWhatTheyUse() {
    assertThat(ScheduleKind.ONE_F_ONE_B.actionTypes()).containsExactly(ActionType.F, ActionType.B);
    assertThat(ScheduleKind.ZB_H1.splitsBackward()).isTrue();
    assertThat(ScheduleKind.DUALPIPE_V.actionTypes())
        .contains(ActionType.B, ActionType.I, ActionType.W);
    assertThat(ScheduleKind.INTERLEAVED_1F1B.acceptsVirtualStages(4)).isTrue();
    assertThat(ScheduleKind.ZB_V.acceptsVirtualStages(3)).isFalse();
    assertThat(ScheduleKind.V_MIN.defaultVirtualStages()).isEqualTo(2);
    assertThat(ScheduleKind.GPIPE.vShaped()).isFalse();
    assertThat(ScheduleKind.DUALPIPE_V.vShaped()).isTrue();
  }

  @Test
  void interleavedRejectsFewerMicroBatchesThanDevices() {
    assertThatThrownBy(() -> generate(ScheduleKind.INTERLEAVED_1F1B, 4, 3, 2))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("microbatches (3) must be >= 4 for interleaved with pp 4")
        .hasMessageContaining("Maybe use --microbatches a multiple of 4 between 4 and 125000.");
  }

  @Test
  void interleavedRejectsAGroupSizeOutsidePToM() {
    assertThatThrownBy(
            () ->
                ScheduleGenerators.generate(
                    new ScheduleRequest(ScheduleKind.INTERLEAVED_1F1B, 4, 8, 2, 3, 0)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--group-size (3) must lie in [pp, microbatches] = [4, 8]");
  }

  @Test
  void interleavedRejectsALastGroupSmallerThanP() {
    assertThatThrownBy(() -> generate(ScheduleKind.INTERLEAVED_1F1B, 4, 6, 2))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("last group of 2")
        .hasMessageContaining("Maybe use --group-size 6");
    assertThat(
            ScheduleValidator.problems(
                ScheduleGenerators.generate(
                    new ScheduleRequest(ScheduleKind.INTERLEAVED_1F1B, 4, 6, 2, 6, 0))))
        .isEmpty();
  }

  @Test
  void fixedMemoryKindsRejectALimitBelowTheirCount() {
    assertThatThrownBy(
            () ->
                ScheduleGenerators.generate(
                    new ScheduleRequest(ScheduleKind.ONE_F_ONE_B, 4, 8, 1, 0, 3)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--max-in-flight (3) is below the 4 that 1f1b keeps on device 0");
  }

  @Test
  void maxInFlightRefusesWhatTheGeneratorRefuses() {
    assertThatThrownBy(
            () -> ScheduleGenerators.maxInFlight(ScheduleRequest.of(ScheduleKind.ZB_V, 4, 8, 3), 0))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--virtual-stages (3) must be 2 for zb-v");
    assertThatThrownBy(
            () ->
                ScheduleGenerators.maxInFlight(
                    ScheduleRequest.of(ScheduleKind.DUALPIPE_V, 4, 6, 2), 0))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("microbatches (6) must be >= 8");
  }

  @Test
  void groupSizeIsOnlyForInterleaved() {
    assertThatThrownBy(
            () ->
                ScheduleGenerators.generate(new ScheduleRequest(ScheduleKind.GPIPE, 4, 8, 1, 4, 0)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--group-size (4) applies only to interleaved");
  }
}
