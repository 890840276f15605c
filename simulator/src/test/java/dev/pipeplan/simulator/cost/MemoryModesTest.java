package dev.pipeplan.simulator.cost;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.zoo.TransformerConfig;
import dev.pipeplan.models.zoo.TransformerLayers;
import org.junit.jupiter.api.Test;

/**
 * The memory rules per mode against Korthikanti et al. (MLSys 2023), Table 2, for a plain GPT block
 * in 16-bit with dropout: s·b·h·(34 + 5·a·s/h) without tensor parallelism; s·b·h·(10 + 24/t +
 * 5·a·s/(h·t)) with t; s·b·h/t·(34 + 5·a·s/h) with sequence parallelism; s·b·h·34/t with selective
 * recomputation; 2·s·b·h with full recomputation.
 */
class MemoryModesTest {
  private static final long S = 128;
  private static final long H = 256;
  private static final long A = 4;
  private static final int B = 2;
  private static final int T = 4;

  private static ModelSpec gpt(boolean dropout) {
    TransformerConfig c =
        TransformerConfig.gpt("gpt-block", 1000, (int) H, 1, (int) A, 128, 128, DType.FP16)
            .withDropout(dropout);
    return TransformerLayers.build(c, (int) S);
  }

  private static TrainingSpec training(
      Recompute recompute, Attention attention, OptimizerSharding sharding, boolean sp) {
    return new TrainingSpec(64, (int) S, DType.FP16, Optimizer.adamMixedPrecision(), false)
        .withMemoryModes(recompute, attention, sharding, sp);
  }

  /** The block alone (layer 1 of embedding, block, head). */
  private static long block(ModelSpec m, int t, TrainingSpec training) {
    return new LayerSums(m).activationBytes(1, 2, B, t, training);
  }

  private static final double SBH = (double) S * B * H;

  @Test
  void eagerWithoutRecomputationKeepsKorthikantisThirtyFourPlusScores() {
    TrainingSpec eager = training(Recompute.NONE, Attention.EAGER, OptimizerSharding.NONE, false);
    assertThat(block(gpt(true), 1, eager)).isEqualTo(Math.round(SBH * (34 + 5.0 * A * S / H)));
  }

  @Test
  void tensorParallelWithoutSequenceParallelKeepsTenReplicatedBytes() {
    TrainingSpec eager = training(Recompute.NONE, Attention.EAGER, OptimizerSharding.NONE, false);
    assertThat(block(gpt(true), T, eager))
        .isEqualTo(Math.round(SBH * (10 + 24.0 / T + 5.0 * A * S / (H * T))));
  }

  @Test
  void sequenceParallelDividesEverythingByT() {
    TrainingSpec sp = training(Recompute.NONE, Attention.EAGER, OptimizerSharding.NONE, true);
    assertThat(block(gpt(true), T, sp)).isEqualTo(Math.round(SBH / T * (34 + 5.0 * A * S / H)));
  }

  @Test
  void selectiveRecomputationDropsTheScoreTerm() {
    TrainingSpec selective =
        training(Recompute.SELECTIVE, Attention.EAGER, OptimizerSharding.NONE, true);
    assertThat(block(gpt(true), T, selective)).isEqualTo(Math.round(SBH * 34 / T));
  }

  @Test
  void flashKeepsSoftmaxStatisticsInsteadOfScores() {
    TrainingSpec flash = training(Recompute.NONE, Attention.FLASH, OptimizerSharding.NONE, false);
    // one fp32 log-sum-exp per head and token
    assertThat(block(gpt(true), 1, flash)).isEqualTo(Math.round(SBH * 34) + 4 * A * S * B);
  }

  @Test
  void aFusedCrossEntropyKeepsTheHeadsLogitsInTheTrainingDtype() {
    ModelSpec m = gpt(true);
    TrainingSpec unfused = training(Recompute.NONE, Attention.FLASH, OptimizerSharding.NONE, false);
    TrainingSpec fused = unfused.withCrossEntropy(CrossEntropy.FUSED);
    long vocab = 1000;
    LayerSums sums = new LayerSums(m);
    // the head (layer 2): fp32 logits 4·s·v per sample, 2·s·v in fp16; split over t by vocabulary
    long saved =
        sums.activationBytes(2, 3, B, T, unfused) - sums.activationBytes(2, 3, B, T, fused);
    assertThat(saved).isEqualTo(2 * S * vocab * B / T);
    // the blocks keep what they kept
    assertThat(block(m, T, fused)).isEqualTo(block(m, T, unfused));
    // and in fp32 training the logits are fp32 either way
    TrainingSpec fp32 =
        new TrainingSpec(64, (int) S, DType.FP32, Optimizer.adamMixedPrecision(), false)
            .withCrossEntropy(CrossEntropy.FUSED);
    assertThat(sums.activationBytes(2, 3, B, 1, fp32))
        .isEqualTo(sums.activationBytes(2, 3, B, 1, fp32.withCrossEntropy(CrossEntropy.UNFUSED)));
  }

  @Test
  void selectiveRecomputationRunsTheAttentionCoreOverEveryHeadsWidth() {
    // 4 heads of 128 over a hidden width of 256: QKᵀ and ·V are 2·s²·512 each.
    ModelSpec wide =
        TransformerLayers.build(
            TransformerConfig.llama(
                    "wide-heads", 1000, (int) H, 1, (int) A, 2, 512, 128, DType.BF16)
                .withHeadDim(128));
    LayerSums sums = new LayerSums(wide);
    assertThat(sums.attentionCoreFlops(1, 2)).isEqualTo(4.0 * S * S * A * 128);
    assertThat(new LayerSums(gpt(true)).attentionCoreFlops(1, 2)).isEqualTo(4.0 * S * S * H);
  }

  @Test
  void noDropoutRemovesMasksAndAttentionDropout() {
    TrainingSpec eager = training(Recompute.NONE, Attention.EAGER, OptimizerSharding.NONE, false);
    // two 1-byte hidden masks (2·s·b·h), and the attention dropout's mask and output (3·a·s²·b)
    assertThat(block(gpt(false), 1, eager)).isEqualTo(Math.round(SBH * (32 + 2.0 * A * S / H)));
  }

  @Test
  void fullRecomputationKeepsTheLayerInputAndOneLayerOfWorkspace() {
    ModelSpec m = gpt(true);
    TrainingSpec full = training(Recompute.FULL, Attention.EAGER, OptimizerSharding.NONE, false);
    StageCost block = new LayerSums(m).withMemory(1, 2, B, 1, 1, 1, full, 1, 1, 1);
    assertThat(block.activationBytes()).isEqualTo(Math.round(2 * SBH));
    assertThat(block.workspaceBytes()).isEqualTo(Math.round(SBH * (34 + 5.0 * A * S / H)));
    // A stage of the whole model: one workspace, the largest layer's (the head's fp32 logits).
    StageCost all = new LayerSums(m).withMemory(0, 3, B, 1, 1, 1, full, 1, 1, 1);
    long head = new LayerSums(m).activationBytes(2, 3, B, 1, full);
    assertThat(all.workspaceBytes()).isEqualTo(Math.max(head, block.workspaceBytes()));
    assertThat(all.activationBytes()).isEqualTo(Math.round(4 * SBH));
  }

  @Test
  void zeroOneShardsOptimizerStateAndZeroTwoAlsoGradients() {
    ModelSpec m = gpt(true);
    LayerSums sums = new LayerSums(m);
    long p = m.totalParameters();
    int dp = 8;
    TrainingSpec none = training(Recompute.NONE, Attention.FLASH, OptimizerSharding.NONE, false);
    TrainingSpec zero1 = training(Recompute.NONE, Attention.FLASH, OptimizerSharding.ZERO1, false);
    TrainingSpec zero2 = training(Recompute.NONE, Attention.FLASH, OptimizerSharding.ZERO2, false);
    // Megatron-LM's bytes per parameter (docs/user-guide/features/dist_optimizer.md): 16-bit
    // weights, fp32 main gradients (fused accumulation) and 12 bytes of Adam state: 18, or
    // 6 + 12/dp with the distributed optimizer.
    assertThat(sums.staticBytes(0, 3, 1, dp, none)).isEqualTo(18 * p);
    assertThat(sums.staticBytes(0, 3, 1, dp, zero1)).isEqualTo(6 * p + (12 * p + dp - 1) / dp);
    assertThat(sums.staticBytes(0, 3, 1, dp, zero2))
        .isEqualTo(2 * p + (4 * p + dp - 1) / dp + (12 * p + dp - 1) / dp);
    // fp16 gradients added in place keep 2 bytes, and the step's fp32 copy of them is state:
    // 20, or 4 + 16/dp.
    TrainingSpec inPlace = none.withGradientAccumulation(GradientAccumulation.IN_PLACE);
    TrainingSpec inPlace1 = zero1.withGradientAccumulation(GradientAccumulation.IN_PLACE);
    assertThat(sums.staticBytes(0, 3, 1, dp, inPlace)).isEqualTo(20 * p);
    assertThat(sums.staticBytes(0, 3, 1, dp, inPlace1)).isEqualTo(4 * p + (16 * p + dp - 1) / dp);
  }

  @Test
  void zeroThreeShardsTheWeightsAndGathersTwoLargestLayersOncePerDevice() {
    ModelSpec m = gpt(true);
    LayerSums sums = new LayerSums(m);
    int dp = 8;
    long p = m.totalParameters();
    TrainingSpec zero3 = training(Recompute.NONE, Attention.FLASH, OptimizerSharding.ZERO3, false);
    // ZeRO-2's gradients and state over dp, and the 2-byte weights over dp too.
    TrainingSpec zero2 = training(Recompute.NONE, Attention.FLASH, OptimizerSharding.ZERO2, false);
    long weights = 2 * p;
    assertThat(sums.staticBytes(0, 3, 1, dp, zero3))
        .isEqualTo(sums.staticBytes(0, 3, 1, dp, zero2) - weights + (weights + dp - 1) / dp);
    long largest = 0;
    for (int i = 0; i < 3; i++) {
      largest = Math.max(largest, m.layer(i).parameterCount());
    }
    assertThat(sums.gatheredBytes(0, 3, 1, zero3)).isEqualTo(2 * 2 * largest);
    assertThat(sums.gatheredBytes(0, 3, 1, zero2)).isZero();
    // Workspace, reserved once per device: a stage of every layer holds no more than its largest
    // single layer's gathered weights plus that layer's other workspace.
    StageCost whole = sums.withMemory(0, 3, B, 1, dp, 1, zero3, 1, 1, 1);
    StageCost wholeZero2 = sums.withMemory(0, 3, B, 1, dp, 1, zero2, 1, 1, 1);
    assertThat(whole.workspaceBytes() - wholeZero2.workspaceBytes()).isEqualTo(4 * largest);
  }
}
