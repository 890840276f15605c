package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  @Test
  void staysSilentForTheFirstSecondThenRedrawsInPlaceAndClears() {
    long[] now = {0};
    StringWriter text = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(text), () -> now[0]);
    bar.progress(10, 100);
    assertThat(text.toString()).isEmpty();
    now[0] = 1_500_000_000L;
    bar.progress(50, 100);
    assertThat(text.toString()).isEqualTo("\r" + ProgressBar.line(50, 100, 1_500_000_000L));
    now[0] += 10_000_000L;
    bar.progress(51, 100);
    assertThat(text.toString()).doesNotContain("51/100");
    now[0] += 200_000_000L;
    bar.progress(60, 100);
    assertThat(text.toString()).contains("60/100").doesNotContain("\n");
    bar.finished();
    assertThat(text.toString()).endsWith("\r");
  }

  @Test
  void drawsAFullBarAtTheEnd() {
    assertThat(ProgressBar.line(100, 100, 2_000_000_000L))
        .isEqualTo("[##############################] 100% 100/100 candidates, 2.0 s");
    assertThat(ProgressBar.line(0, 100, 0)).startsWith("[..............................]   0%");
  }
}
