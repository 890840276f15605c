package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo says how long a run takes before starting it, and warns when that is long. */
class DemoDurationTest {
  @Test
  void shortRunIsAnnouncedWithoutWarning() {
    List<String> lines = DemoCommand.durationLines(300_000_000L, 2, 5);
    assertThat(lines)
        .containsExactly("expected to take about 2 s (7 iterations at 300.00 ms predicted each)");
  }

  @Test
  void runOfTenMinutesOrMoreWarnsAndNamesTheOptions() {
    // 4096 samples at about 1 s per 16 samples: 256 s per iteration, 7 iterations
    List<String> lines = DemoCommand.durationLines(256_000_000_000L, 2, 5);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("expected to take about 29.9 min (7 iterations");
    assertThat(lines.get(1))
        .startsWith("WARNING: this run alone takes longer than 10.0 min")
        .contains("--global-batch")
        .contains("--iterations");
  }

  @Test
  void longDurationsReadInHours() {
    assertThat(DemoCommand.readableSeconds(0.2)).isEqualTo("1 s");
    assertThat(DemoCommand.readableSeconds(89)).isEqualTo("89 s");
    assertThat(DemoCommand.readableSeconds(600)).isEqualTo("10.0 min");
    assertThat(DemoCommand.readableSeconds(5400)).isEqualTo("1.5 h");
  }
}
