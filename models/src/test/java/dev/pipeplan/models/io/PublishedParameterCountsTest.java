package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.ModelSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Published config.json files (the fields that matter, as on the Hugging Face hub) import to the
 * parameter count of the model's published safetensors, exactly: norms, biases, a tied output table
 * counted once, learned positions, head widths other than hidden / heads.
 */
class PublishedParameterCountsTest {

  @ParameterizedTest(name = "{0} has {1} parameters")
  @CsvSource({
    // learned positions, biases and LayerNorm everywhere, tied head
    "gpt2, 124439808",
    // grouped-query attention, untied head
    "Llama-3.1-8B, 8030261248",
    // tied head; head_dim given, equal to hidden / heads
    "Llama-3.2-1B, 1235814400",
    "Mistral-7B-v0.3, 7248023552",
    // q/k/v biases (Qwen2), tied head
    "Qwen2.5-0.5B, 494032768",
    // q/k/v biases (Qwen2), untied head
    "Qwen2.5-7B, 7615616512",
    // head_dim 128 with hidden 2560 / 32 heads = 80, per-head q/k RMSNorm, tied head
    "Qwen3-4B, 4022468096",
    // head_dim 128 with hidden 5120 / 32 heads = 160
    "Mistral-Nemo-Base-2407, 12247782400"
  })
  void importedTotalEqualsThePublishedCount(String model, long published) {
    ModelSpec imported =
        ModelLoader.load(TestFiles.resource("hf/published/" + model + "/config.json").toString());
    assertThat(imported.name()).isEqualTo(model);
    assertThat(imported.totalParameters()).isEqualTo(published);
  }
}
