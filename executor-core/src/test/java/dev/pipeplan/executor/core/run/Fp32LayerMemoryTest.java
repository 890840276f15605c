package dev.pipeplan.executor.core.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.DType;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import org.junit.jupiter.api.Test;

/** The executor's one estimate of a layer's memory, shared by the plan runner and the profiler. */
class Fp32LayerMemoryTest {
  private static final LayerSpec LAYER =
      new LayerSpec(
          "block",
          LayerKind.LINEAR,
          LayerShape.unknown(LayerKind.LINEAR),
          1e6,
          1e6,
          1e6,
          10,
          100,
          20,
          null);

  @Test
  void aSixteenBitModelsActivationsTakeTwiceItsBytesAndWeightsCountTheirGradients() {
    Fp32LayerMemory memory = Fp32LayerMemory.of(DType.FP16, LAYER);

    assertThat(memory.activationBytesPerSample()).isEqualTo(240.0);
    assertThat(memory.weightAndGradientBytes()).isEqualTo(80.0);
    // 3 samples x 2 micro-batches in flight x 240 + 80
    assertThat(memory.bytes(3, 2)).isEqualTo(1520.0);
  }

  @Test
  void anFp32ModelsBytesAreTakenAsGiven() {
    Fp32LayerMemory memory = Fp32LayerMemory.of(DType.FP32, LAYER);

    assertThat(memory.activationBytesPerSample()).isEqualTo(120.0);
    assertThat(memory.bytes(1, 1)).isEqualTo(200.0);
  }
}
