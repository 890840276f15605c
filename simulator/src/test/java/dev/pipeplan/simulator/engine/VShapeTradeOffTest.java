package dev.pipeplan.simulator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import dev.pipeplan.simulator.timeline.Metrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The trade-off of "Pipeline Parallelism with Controllable Memory" (Qi et al., NeurIPS 2024) with
 * T_F = T_B = T_W: V-Half no slower than 1F1B at about half its activation memory ((p+2)/2
 * micro-batches against p), V-Min within 5% of 1F1B at about a third ((p+4)/3). A V chunk is half a
 * 1F1B stage: F = I = W = 1 ms and 1 byte of activations per chunk, against F = 2 ms, B = 4 ms and
 * 2 bytes per 1F1B stage, so the peak activation bytes compare directly.
 */
class VShapeTradeOffTest {
  private static final long MS = 1_000_000L;

  private static Metrics oneFOneB(int p, int m) {
    Schedule s = ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, p, m, 1));
    return Simulator.metrics(
        s, StageCosts.uniform(p, new StageCost(2 * MS, 2 * MS, 2 * MS, 0, 2, 0, 0)));
  }

  private static Metrics vShape(ScheduleKind kind, int p, int m) {
    Schedule s = ScheduleGenerators.generate(ScheduleRequest.of(kind, p, m, 2));
    return Simulator.metrics(s, StageCosts.uniform(2 * p, new StageCost(MS, MS, MS, 0, 1, 0, 0)));
  }

  private static long peakBytes(Metrics metrics) {
    return metrics.devices().stream().mapToLong(DeviceMetrics::peakMemoryBytes).max().orElseThrow();
  }

  @ParameterizedTest(name = "p={0} m={1}")
  @CsvSource({"8, 32", "12, 48"})
  void vHalfIsNoSlowerThanOneFOneBAtAboutHalfItsMemory(int p, int m) {
    Metrics reference = oneFOneB(p, m);
    Metrics half = vShape(ScheduleKind.V_HALF, p, m);
    assertThat(reference.iterationNanos()).isEqualTo((m + p - 1) * 6 * MS);
    assertThat(peakBytes(reference)).isEqualTo(2L * p);
    assertThat(half.iterationNanos()).isLessThanOrEqualTo(reference.iterationNanos());
    // (p+2)/2 micro-batches of 2 bytes.
    assertThat(peakBytes(half)).isLessThanOrEqualTo(p + 2L);
  }

  @ParameterizedTest(name = "p={0} m={1}")
  @CsvSource({"8, 32", "12, 48"})
  void vMinIsWithinFivePercentOfOneFOneBAtAboutAThirdOfItsMemory(int p, int m) {
    Metrics reference = oneFOneB(p, m);
    Metrics min = vShape(ScheduleKind.V_MIN, p, m);
    assertThat((double) min.iterationNanos())
        .isLessThanOrEqualTo(1.05 * reference.iterationNanos());
    // (p+4)/3 micro-batches of 2 bytes, rounded up to whole chunk activations.
    assertThat(peakBytes(min)).isLessThanOrEqualTo((2L * p + 10) / 3);
    assertThat(peakBytes(min)).isLessThan(peakBytes(vShape(ScheduleKind.V_HALF, p, m)) + 1);
  }

  @Test
  void atEightDevicesVMinHoldsFourMicroBatchesAndItsBubbleIsBelowOneFOneBs() {
    Metrics min = vShape(ScheduleKind.V_MIN, 8, 32);
    assertThat(peakBytes(min)).isEqualTo(8);
    assertThat(min.bubbleRatio()).isLessThan(oneFOneB(8, 32).bubbleRatio());
  }
}
