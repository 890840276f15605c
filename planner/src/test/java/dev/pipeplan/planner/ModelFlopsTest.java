package dev.pipeplan.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import org.junit.jupiter.api.Test;

class ModelFlopsTest {

  @Test
  void aGptsModelFlopsAreMegatronsSixNPlusTwelveLshPerToken() {
    // GPT-3 XL: 24 blocks of hidden 2048, vocabulary 50257, sequence 2048
    ModelSpec gpt = ModelLoader.load("gpt3-1.3b", 2048);
    int l = 24;
    double h = 2048;
    double s = 2048;
    double v = 50257;
    double matmulParameters = l * 12 * h * h + v * h;
    double perToken = 6 * matmulParameters + 12 * l * s * h;
    ModelFlops flops =
        ModelFlops.of(gpt, 64, Clusters.load("dgx-h100"), DType.BF16, 2_000_000_000L);
    // the model's own counts add the biases, norms and softmax: within half a percent
    assertThat(flops.perIteration() / (perToken * s * 64)).isCloseTo(1.0, within(0.005));
    assertThat(flops.perDevicePerSecond()).isEqualTo(flops.perIteration() / 2.0 / 8);
    // H100 SXM: 989.4 TFLOP/s dense bf16
    assertThat(flops.peakPerDevice()).isCloseTo(989.4e12, within(1e9));
    assertThat(flops.utilization().getAsDouble())
        .isCloseTo(flops.perDevicePerSecond() / 989.4e12, within(1e-6));
    assertThat(flops.describe(DType.BF16)).endsWith("% of the dense bf16 peak (MFU)");
  }

  @Test
  void aCpuHasNoPeakToTakeAUtilisationOf() {
    ModelFlops flops =
        ModelFlops.of(
            ModelLoader.load("gpt-tiny", 0), 8, Clusters.load("cpu:1x2"), DType.FP32, 1_000_000);
    assertThat(flops.utilization()).isEmpty();
    assertThat(flops.describe(DType.FP32)).endsWith("GFLOP/s per device").doesNotContain("MFU");
  }
}
