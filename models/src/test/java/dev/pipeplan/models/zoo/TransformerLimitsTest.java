package dev.pipeplan.models.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelLimits;
import dev.pipeplan.models.ModelSpec;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** The transformer formulas stay exact, or fail clearly, for any sizes within the limits. */
class TransformerLimitsTest {
  private static TransformerConfig rotary(int hidden, int heads, DType dtype) {
    return TransformerConfig.llama("wide", 1000, hidden, 1, heads, heads, 128, 16, dtype);
  }

  @Test
  void sequenceIsAcceptedAtTheLimitAndRefusedPastIt() {
    TransformerConfig tiny = rotary(64, 4, DType.BF16);
    ModelSpec atLimit = TransformerLayers.build(tiny, ModelLimits.MAX_SEQUENCE);
    assertThat(atLimit.sequenceLength()).isEqualTo(ModelLimits.MAX_SEQUENCE);
    assertThat(atLimit.layer(1).shape().values())
        .containsEntry("seq", (long) ModelLimits.MAX_SEQUENCE);
    assertThatThrownBy(() -> TransformerLayers.build(tiny, ModelLimits.MAX_SEQUENCE + 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "sequence length (4194305) exceeds the limit of 4194304 tokens"
                + " (the longest sequence pipeplan models) for model 'wide'");
  }

  @Test
  void inRangeSizesWhoseProductOverflowsGiveAClearErrorNotANegativeNumber() {
    // 2^16 heads x (2^22)^2 tokens = 2^60 scores of 4 fp32 bytes (no dropout): a long, far past
    // the layer limit.
    TransformerConfig wide = rotary(ModelLimits.MAX_HEADS, ModelLimits.MAX_HEADS, DType.FP32);
    assertThatThrownBy(() -> TransformerLayers.build(wide, ModelLimits.MAX_SEQUENCE))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "model 'wide' at sequence length 4194304: layer 'block0' savedActivationBytes"
                + " (4611694820962861056) exceeds the limit of 9007199254740992. Maybe use a"
                + " shorter --seq (the model's default is 16).");
  }

  @Test
  void inRangeSizesWhoseProductPassesTheLayerLimitNameLayerAndField() {
    // 2^16 heads x (2^20)^2 tokens x 5 bf16 bytes = 5 x 2^56: a long, but past 2^53.
    TransformerConfig wide = rotary(ModelLimits.MAX_HEADS, ModelLimits.MAX_HEADS, DType.BF16);
    assertThatThrownBy(() -> TransformerLayers.build(wide, 1 << 20))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(
            "model 'wide' at sequence length 1048576: layer 'block0' savedActivationBytes (")
        .hasMessageContaining("exceeds the limit of 9007199254740992");
  }

  @Test
  void widestModelAtTheLimitsHasExactParameterCounts() {
    // vocab x hidden = 2^44 parameters: the old int arithmetic (c.vocab() * h) relied on a long h.
    TransformerConfig widest =
        new TransformerConfig(
            "widest",
            ModelLimits.MAX_VOCAB,
            ModelLimits.MAX_HIDDEN,
            1,
            1,
            1,
            ModelLimits.MAX_FFN,
            16,
            false,
            true,
            false,
            16,
            DType.BF16);
    ModelSpec m = TransformerLayers.build(widest, 16);
    BigInteger h = BigInteger.valueOf(ModelLimits.MAX_HIDDEN);
    BigInteger v = BigInteger.valueOf(ModelLimits.MAX_VOCAB);
    BigInteger f = BigInteger.valueOf(ModelLimits.MAX_FFN);
    assertThat(BigInteger.valueOf(m.layer(0).parameterCount()))
        .isEqualTo(v.multiply(h).add(BigInteger.valueOf(16).multiply(h)));
    // 4h² attention and 2hf MLP weights, biases of 3h + h, f and h, and two LayerNorms of 2h.
    BigInteger block =
        h.pow(2)
            .multiply(BigInteger.valueOf(4))
            .add(h.multiply(f).multiply(BigInteger.TWO))
            .add(h.multiply(BigInteger.valueOf(5)))
            .add(f)
            .add(h.multiply(BigInteger.valueOf(4)));
    assertThat(BigInteger.valueOf(m.layer(1).parameterCount())).isEqualTo(block);
    assertThat(m.layer(1).forwardFlops()).isPositive();
  }

  @Test
  void rotaryModelTakesASequenceFarBeyondItsDefaultWithExactBytes() {
    ModelSpec m = Zoo.get("llama3-8b", 4_000_000);
    LayerSpec block = m.layer(1);
    // Korthikanti with GQA and SwiGLU, bf16, no dropout (Llama): b(3sh + 2s·kv + sh + 3sf) + a·s²·b
    // + 2b·sh
    long s = 4_000_000;
    long h = 4096;
    long kv = 8 * 128;
    long f = 14336;
    long a = 32;
    long b = 2;
    BigInteger expected =
        BigInteger.valueOf(b * (3 * s * h + 2 * s * kv))
            .add(BigInteger.valueOf(a * s).multiply(BigInteger.valueOf(s * b)))
            .add(BigInteger.valueOf(b * (s * h + 3 * s * f) + 2 * b * s * h));
    assertThat(BigInteger.valueOf(block.savedActivationBytes())).isEqualTo(expected);
    assertThat(m.layer(m.layerCount() - 1).savedActivationBytes())
        .isEqualTo(2 * b * s * h + 4 * s * 128_256L);
  }

  @Test
  void learnedPositionModelStillRefusesALongerSequence() {
    assertThatThrownBy(() -> Zoo.get("gpt2-xl", 4_000_000))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("exceeds the 1024 learned positions");
  }

  @Test
  void configOutsideTheLimitsIsRefusedBeforeAnyArithmetic() {
    assertThatThrownBy(
            () -> TransformerConfig.gpt("g", 100, 2_000_000_000, 1, 1, 16, 16, DType.FP16))
        .isInstanceOf(BadInputException.class)
        .hasMessage("model 'g' hidden (2000000000) exceeds the limit of 1048576");
  }
}
