package dev.pipeplan.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
  void atALongSequenceSaysWhatTheUtilisationIsWithoutTheMaskedHalfOfTheAttention() {
    // Llama 3 8B: 32 blocks, 32 heads of 128; at 131072 tokens the attention square is most of
    // the count
    ModelSpec llama = ModelLoader.load("llama3-8b", 131072);
    ModelFlops flops =
        ModelFlops.of(llama, 16, Clusters.load("h100:4x8"), DType.BF16, 20_000_000_000L);
    double forward = llama.layers().stream().mapToDouble(l -> l.forwardFlops()).sum();
    double square = 32 * 4.0 * 131072 * 131072 * 4096;
    assertThat(flops.maskedShare()).isCloseTo(square / 2 / forward, within(1e-9));
    assertThat(flops.maskedShare()).isBetween(0.40, 0.42);
    double mfu = flops.utilization().getAsDouble();
    assertThat(flops.describe(DType.BF16))
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "without the half a causal mask skips, %.1f%%",
                100 * mfu * (1 - flops.maskedShare())));
    // at 2048 tokens the square is a few percent: the line stays as it was
    ModelFlops shortRun =
        ModelFlops.of(
            ModelLoader.load("llama3-8b", 2048),
            16,
            Clusters.load("h100:4x8"),
            DType.BF16,
            20_000_000_000L);
    assertThat(shortRun.maskedShare()).isLessThan(ModelFlops.NOTED_MASKED_SHARE);
    assertThat(shortRun.describe(DType.BF16)).doesNotContain("causal");
  }

  @Test
  void aCpuHasNoPeakToTakeAUtilisationOf() {
    ModelFlops flops =
        ModelFlops.of(
            ModelLoader.load("gpt-tiny", 0), 8, Clusters.load("cpu:1x2"), DType.FP32, 1_000_000);
    assertThat(flops.utilization()).isEmpty();
    assertThat(flops.describe(DType.FP32)).endsWith("GFLOP/s per device").doesNotContain("MFU");
  }

  @Test
  void aDeviceWithoutARateForTheDtypeIsAUtilisationOfItsFp32Peak() {
    // a bf16 Llama on V100s (no bf16 tensor cores): priced, and its peak taken, at 15.7 TFLOP/s
    ModelFlops flops =
        ModelFlops.of(
            ModelLoader.load("llama2-7b", 0),
            32,
            Clusters.load("v100:2x8"),
            DType.BF16,
            30_000_000_000L);
    assertThat(flops.peakPerDevice()).isCloseTo(15.7e12, within(1e11));
    assertThat(flops.describe(DType.BF16))
        .endsWith("% of the dense fp32 peak (MFU; v100 has no bf16 rate)")
        .doesNotContain("bf16 peak");
  }

  @Test
  void aMixedClusterNamesTheDevicesWhosePeakIsFp32() {
    ClusterSpec v100 = Clusters.load("v100:1x8");
    ClusterSpec h100 = Clusters.load("h100:1x8");
    ClusterSpec mixed =
        new ClusterSpec(
            "mixed",
            List.of(h100.groups().get(0), v100.groups().get(0)),
            h100.intraNodeLink(),
            h100.interNodeLink());
    ModelFlops flops =
        ModelFlops.of(ModelLoader.load("llama2-7b", 0), 32, mixed, DType.BF16, 1_000_000_000L);
    assertThat(flops.describe(DType.BF16))
        .endsWith("% of the dense bf16 peak (MFU; fp32 for v100, which has no bf16 rate)");
  }

  @Test
  void aModelOfMeasuredLayersHasNoModelFlopsRatherThanZero(@TempDir Path tmp) throws IOException {
    // docs/formats.md's measured model: times, no FLOPs
    Path file = tmp.resolve("measured-mlp.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "name: measured-mlp",
            "dtype: fp32",
            "microBatchSize: 8",
            "layers:",
            "  - name: input",
            "    forwardMs: 0.5",
            "    outputBytes: 3072",
            "  - name: head",
            "    forwardMs: 0.75",
            ""));
    ModelFlops flops =
        ModelFlops.of(
            ModelLoader.load(file.toString(), 0),
            64,
            Clusters.load("dgx-h100"),
            DType.FP32,
            7_000_000);
    assertThat(flops.utilization()).isEmpty();
    assertThat(flops.describe(DType.FP32))
        .isEqualTo("not known: the model's layers give measured times, not FLOPs");
    // so plan and report leave out what the number would have counted
    assertThat(flops.known()).isFalse();
  }

  @Test
  void withFp8LinearsSaysHowManyTimesThePeakTheFp8PeakIsFromTheDevicesOwnRates(@TempDir Path tmp)
      throws IOException {
    ModelSpec llama = ModelLoader.load("llama3-8b", 0);
    TrainingSpec fp8 = TrainingSpec.of(32, 8192, DType.BF16).withFp8Linears(true);
    // the presets' FP8 peak is twice their 16-bit one
    assertThat(
            ModelFlops.of(llama, 32, Clusters.load("h100:1x8"), DType.BF16, 1_000_000_000L)
                .describe(fp8))
        .contains("the blocks' linear GEMMs ran in FP8, whose peak is twice the bf16 one,");
    // an L40S-like file device with no bf16 rate: the utilisation is of its fp32 peak, which its
    // FP8 rate is 8.3 times, not twice the bf16 peak it does not have
    Path file = tmp.resolve("l40s.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "name: l40s-fp8",
            "groups:",
            "  - device:",
            "      name: l40s",
            "      sustainedTflops: {fp32: 60, fp8: 500}",
            "      memoryGiB: 46",
            "      memoryBandwidthGBps: 864",
            "    devicesPerNode: 4",
            "intraNodeLink: pcie4",
            "interNodeLink: ib-ndr",
            ""));
    String line =
        ModelFlops.of(llama, 32, Clusters.load(file.toString()), DType.BF16, 1_000_000_000L)
            .describe(fp8);
    assertThat(line)
        .contains("of the dense fp32 peak (MFU; l40s has no bf16 rate)")
        .contains("the blocks' linear GEMMs ran in FP8, whose peak is 8.3 times the one above,")
        .doesNotContain("twice");
  }
}
