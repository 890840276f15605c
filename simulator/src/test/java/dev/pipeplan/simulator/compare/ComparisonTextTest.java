package dev.pipeplan.simulator.compare;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ComparisonTextTest {
  @Test
  void progressLinesCountToTheTotalAndSayWhenASlowIterationIsReplaced() {
    // 2 warm-up iterations, then 5 measured; indexes 7 and 8 replace slow ones
    assertThat(ComparisonText.progressLine(1, 2, 5, 1_500_000, 2.5))
        .isEqualTo("warm-up 2/2: 1.50 ms, loss 2.5000");
    assertThat(ComparisonText.progressLine(6, 2, 5, 1_000_000, 2.0))
        .isEqualTo("iteration 5/5: 1.00 ms, loss 2.0000");
    assertThat(ComparisonText.progressLine(7, 2, 5, 1_000_000, 2.0))
        .isEqualTo("iteration 6 (replacing a slow one): 1.00 ms, loss 2.0000");
    assertThat(ComparisonText.progressLine(8, 2, 5, 1_000_000, 2.0)).doesNotContain("/5");
  }
}
