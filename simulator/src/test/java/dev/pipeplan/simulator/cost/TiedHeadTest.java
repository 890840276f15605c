package dev.pipeplan.simulator.cost;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.io.ModelLoader;
import org.junit.jupiter.api.Test;

class TiedHeadTest {
  @Test
  void theLastStageOfATiedModelHoldsACopyOfTheTable() {
    ModelSpec gpt2 = ModelLoader.load("gpt2-small", 1024); // ties its head to the embedding
    TiedHead tied = TiedHead.of(gpt2);
    int n = gpt2.layerCount();
    assertThat(gpt2.layer(tied.embeddingIndex()).kind()).isEqualTo(LayerKind.EMBEDDING);
    assertThat(gpt2.layer(tied.headIndex()).kind()).isEqualTo(LayerKind.LM_HEAD);
    long table = 50257L * 768; // GPT-2 small: vocabulary × hidden
    assertThat(tied.tableParameters()).isEqualTo(table);

    // one stage: one table; two stages: the head's stage holds a copy, the embedding's does not
    assertThat(tied.copyParameters(0, n)).isZero();
    assertThat(tied.copyParameters(n / 2, n)).isEqualTo(table);
    assertThat(tied.copyParameters(0, n / 2)).isZero();

    LayerSums sums = new LayerSums(gpt2);
    long own = 0;
    for (int i = n / 2; i < n; i++) {
      own += gpt2.layer(i).parameterCount();
    }
    assertThat(sums.parameters(n / 2, n)).isEqualTo(own + table);
    assertThat(sums.parameters(0, n))
        .isEqualTo(sums.parameters(0, n / 2) + sums.parameters(n / 2, n) - table);
  }

  @Test
  void anUntiedModelHasNoCopy() {
    ModelSpec llama = ModelLoader.load("llama2-7b", 4096);
    TiedHead tied = TiedHead.of(llama);
    assertThat(tied.headIndex()).isEqualTo(-1);
    assertThat(tied.copyParameters(llama.layerCount() / 2, llama.layerCount())).isZero();
  }
}
