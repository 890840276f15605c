package dev.pipeplan.reports.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.reports.TestTimelines;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryChartTest {
  @Test
  void drawsTheLimitAndALegendEntryPerDevice() {
    Timeline timeline = TestTimelines.zeroBubbleLike(3, 4, 0);
    String svg =
        ChartFiles.svg(
            MemoryChart.create(timeline, Collections.nCopies(3, 4L << 30), "m"), 900, 400);
    assertThat(svg)
        .contains("limit 4.0 GiB")
        .contains(">device 0<")
        .contains(">device 2<")
        .contains("peak 1.8 GiB");
  }

  @Test
  void namesTheDevicesOfEachLimitWhenLimitsDiffer() {
    Timeline timeline = TestTimelines.zeroBubbleLike(3, 4, 0);
    String svg =
        ChartFiles.svg(
            MemoryChart.create(timeline, List.of(4L << 30, 4L << 30, 8L << 30), "m"), 900, 400);
    assertThat(svg).contains("limit 4.0 GiB (2 devices)").contains("limit 8.0 GiB (device 2)");
  }

  @Test
  void leavesALimitFarAboveThePeakOffTheScaleAndSaysSo() {
    Timeline timeline = TestTimelines.zeroBubbleLike(3, 4, 0);
    String svg =
        ChartFiles.svg(
            MemoryChart.create(timeline, Collections.nCopies(3, 80L << 30), "m"), 900, 400);
    assertThat(svg)
        .doesNotContain(">limit 80.0 GiB<")
        .contains("the limit (80.0 GiB) is off the scale")
        .contains("uses 2.2% of it");
  }

  @Test
  void rejectsLimitsForTheWrongNumberOfDevices() {
    assertThatThrownBy(
            () -> MemoryChart.create(TestTimelines.zeroBubbleLike(3, 4, 0), List.of(1L, 2L), "m"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("2 devices")
        .hasMessageContaining("has 3");
  }

  @Test
  void picksAReadableUnit() {
    assertThat(ByteUnit.format(512)).isEqualTo("0.5 KiB");
    assertThat(ByteUnit.format(3L << 30)).isEqualTo("3.0 GiB");
    assertThat(ByteUnit.forMax(5L << 20)).isEqualTo(ByteUnit.MIB);
  }
}
