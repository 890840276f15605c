package dev.pipeplan.reports.summary;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ThroughputTest {
  @Test
  void aSlowIterationKeepsThreeSignificantDigitsInsteadOfReadingZero() {
    // 16 samples of a million tokens in 922.8 s: 0.0173 samples/s, printed as "0.0" before
    assertThat(Throughput.samplesPerSecond(16 / 922.816)).isEqualTo("0.0173 samples/s");
    assertThat(Throughput.samplesPerSecond(0.5)).isEqualTo("0.500 samples/s");
  }

  @Test
  void fromOneSamplePerSecondUpOneDecimalAsBefore() {
    assertThat(Throughput.samplesPerSecond(238.8149)).isEqualTo("238.8 samples/s");
    assertThat(Throughput.samplesPerSecond(1)).isEqualTo("1.0 samples/s");
    assertThat(Throughput.samplesPerSecond(0)).isEqualTo("0.0 samples/s");
  }
}
