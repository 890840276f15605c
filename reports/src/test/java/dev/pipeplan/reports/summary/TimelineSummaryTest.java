package dev.pipeplan.reports.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.reports.TestTimelines;
import org.junit.jupiter.api.Test;

class TimelineSummaryTest {
  @Test
  void oneFOneBIterationAndBubbleMatchTheClosedForm() {
    int p = 4;
    int m = 8;
    TimelineSummary s = TimelineSummary.of(TestTimelines.oneFOneB(p, m));
    long f = 1_000_000;
    long b = 2_000_000;
    assertThat(s.iterationNanos()).isEqualTo((m + p - 1) * (f + b));
    assertThat(s.bubbleRatio()).isCloseTo((p - 1.0) / (m + p - 1.0), within(1e-12));
    assertThat(s.microBatchCount()).isEqualTo(m);
    assertThat(s.stageCount()).isEqualTo(p);
    assertThat(s.devices())
        .allSatisfy(
            d -> {
              assertThat(d.busyNanos()).isEqualTo(m * (f + b));
              assertThat(d.actionCount()).isEqualTo(2 * m);
              assertThat(d.stages()).containsExactly(d.device());
            });
  }

  @Test
  void peakMemoryIsStaticPlusTheMostActivationsInFlight() {
    // 1F1B keeps p - d micro-batches in flight on device d: 1 GiB static + 256 MiB each
    int p = 4;
    TimelineSummary s = TimelineSummary.of(TestTimelines.zeroBubbleLike(p, 8, 0));
    for (DeviceSummary d : s.devices()) {
      assertThat(d.peakMemoryBytes()).isEqualTo((1L << 30) + (p - d.device()) * (256L << 20));
    }
    assertThat(s.peakMemoryBytes()).isEqualTo((1L << 30) + p * (256L << 20));
  }
}
