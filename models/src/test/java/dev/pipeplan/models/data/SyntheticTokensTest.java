package dev.pipeplan.models.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SyntheticTokensTest {
  private final SyntheticTokens data = new SyntheticTokens(7L, 50, 6, 8);

  @Test
  void aSampleIsTheSameWhateverMicroBatchItFallsIn() {
    SyntheticTokens.Batch whole = data.samples(3, 0, 8);
    SyntheticTokens.Batch secondHalf = data.samples(3, 4, 4);

    assertThat(secondHalf.tokens()).containsExactly(Arrays.copyOfRange(whole.tokens(), 24, 48));
    assertThat(secondHalf.labels()).containsExactly(Arrays.copyOfRange(whole.labels(), 24, 48));
    assertThat(data.samples(4, 0, 8).tokens()).isNotEqualTo(whole.tokens());
    assertThat(data.lossTerms()).isEqualTo(8 * 6);
  }

  @Test
  void eachLabelIsTheNextInputTokenOfItsSample() {
    SyntheticTokens.Batch batch = data.samples(0, 0, 2);
    for (int sample = 0; sample < 2; sample++) {
      for (int t = 0; t + 1 < 6; t++) {
        assertThat(batch.labels()[sample * 6 + t]).isEqualTo(batch.tokens()[sample * 6 + t + 1]);
      }
    }
    assertThat(Arrays.stream(batch.tokens()).min().getAsInt()).isGreaterThanOrEqualTo(0);
    assertThat(Arrays.stream(batch.tokens()).max().getAsInt()).isLessThan(50);
  }
}
