package dev.pipeplan.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {

  @Test
  void distanceCountsEdits() {
    assertThat(Suggestions.distance("kitten", "sitting")).isEqualTo(3);
    assertThat(Suggestions.distance("", "abc")).isEqualTo(3);
    assertThat(Suggestions.distance("gpt2-xl", "gpt2-xl")).isZero();
  }

  @Test
  void closestIsCaseInsensitiveAndFirstOnTies() {
    assertThat(Suggestions.closest("GPT2-XXL", List.of("gpt2-small", "gpt2-xl")))
        .contains("gpt2-xl");
    assertThat(Suggestions.closest("ab", List.of("ac", "bb"))).contains("ac");
  }

  @Test
  void farNamesGetNoSuggestion() {
    assertThat(Suggestions.closest("resnet152", List.of("gpt2-xl", "vgg16"))).isEmpty();
    assertThat(Suggestions.maybe("resnet152", List.of("gpt2-xl"))).isEmpty();
  }
}
