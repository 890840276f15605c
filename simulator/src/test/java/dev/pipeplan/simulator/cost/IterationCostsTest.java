package dev.pipeplan.simulator.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.roofline.RooflineParameters;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-computed iteration terms on two nodes of two devices with round link numbers. */
class IterationCostsTest {
  private static final DeviceSpec DEVICE =
      new DeviceSpec("round", Map.of(DType.FP16, 1e12), 80_000_000_000L, 1e12, 5_000);

  /** 1 GB/s and 1 us; 0.1 GB/s and 10 us. */
  private static final ClusterSpec CLUSTER =
      ClusterSpec.of(
          "test",
          DEVICE,
          2,
          2,
          new LinkSpec("intra", 1e9, 1_000),
          new LinkSpec("inter", 1e8, 10_000));

  private static final TrainingSpec TRAINING =
      new TrainingSpec(16, 0, DType.FP16, Optimizer.adamMixedPrecision(), false);
  private static final Partition TWO = Partition.of(1, 1);
  private static final List<Integer> LOOPED = List.of(0, 1);

  private static ModelSpec model(long firstParameters, long secondParameters) {
    return new ModelSpec(
        "two",
        List.of(
            layer("a", LayerKind.LINEAR, firstParameters),
            layer("b", LayerKind.LINEAR, secondParameters)),
        DType.FP16,
        0);
  }

  /** A layer of a GFLOP each way and its parameters. */
  private static LayerSpec layer(String name, LayerKind kind, long parameters) {
    return new LayerSpec(
        name, kind, LayerShape.unknown(kind), 1e9, 1e9, 1e9, parameters, 1, 1, null);
  }

  private static List<StageCost> backward(long nanos) {
    StageCost s = new StageCost(1, nanos, 0, 1, 1, 1, 1);
    return List.of(s, s);
  }

  /** {@code limit} 0 stands for no limit given. */
  private static IterationCosts costs(ModelSpec model, List<List<Integer>> replicas, long limit) {
    return new IterationCosts(
        model,
        TRAINING,
        CLUSTER,
        1,
        replicas,
        limit == 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(limit));
  }

  @Test
  void oneReplicaHasNoSync() {
    IterationCosts one = costs(model(1000, 2000), List.of(List.of(0), List.of(1)), 0);

    assertThat(one.dataParallel()).isEqualTo(1);
    assertThat(one.dataParallelSyncNanos(TWO, LOOPED, backward(1_000_000), 1)).isZero();
    assertThat(one.dataParallelSyncLowerBoundNanos()).isZero();
  }

  @Test
  void syncIsTheSlowestDevicesRingOverTheLinkItsReplicasShare() {
    // replicas on one node (NVLink): device 1 reduces 2000 params x 4 bytes (fp32, whatever the
    // training dtype) over 2 ranks, 2 x (1 us + 4000 B / 1 GB/s) = 10 us; small gradients fill
    // one bucket, so nothing hides.
    IterationCosts intra = costs(model(1000, 2000), List.of(List.of(0, 1), List.of(2, 3)), 0);
    assertThat(intra.dataParallelSyncNanos(TWO, LOOPED, backward(1_000_000), 1)).isEqualTo(10_000);

    // replicas on two nodes: 2 x (10 us + 4000 B / 0.1 GB/s) = 100 us
    IterationCosts inter = costs(model(1000, 2000), List.of(List.of(0, 2), List.of(1, 3)), 0);
    assertThat(inter.dataParallelSyncNanos(TWO, LOOPED, backward(1_000_000), 1)).isEqualTo(100_000);
  }

  @Test
  void aRingWithSeveralReplicasPerNodeUsesAsManyInterfaces() {
    // Four nodes of four devices, two replicas of each pipeline device per node: dp 8 over 4 nodes.
    ClusterSpec wide =
        ClusterSpec.of(
            "wide",
            DEVICE,
            4,
            4,
            new LinkSpec("intra", 1e9, 1_000),
            new LinkSpec("inter", 1e8, 10_000));
    List<List<Integer>> replicas =
        List.of(List.of(0, 1, 4, 5, 8, 9, 12, 13), List.of(2, 3, 6, 7, 10, 11, 14, 15));
    IterationCosts two =
        new IterationCosts(
            model(1000, 2000), TRAINING, wide, 1, replicas, java.util.OptionalLong.empty());
    assertThat(two.replicaLink(0).bandwidthBytesPerSecond()).isEqualTo(2e8);
    assertThat(two.replicaLink(0).latencyNanos()).isEqualTo(10_000);
    // One replica per node: a single interface.
    List<List<Integer>> one = List.of(List.of(0, 4, 8, 12), List.of(1, 5, 9, 13));
    IterationCosts single =
        new IterationCosts(
            model(1000, 2000), TRAINING, wide, 1, one, java.util.OptionalLong.empty());
    assertThat(single.replicaLink(0)).isEqualTo(wide.interNodeLink());
    // device 1 reduces 2000 params x 4 bytes over 8 ranks at 0.2 GB/s: 2 x 7 steps of (10 us +
    // 1000 B / 0.2 GB/s = 5 us)
    assertThat(two.dataParallelSyncNanos(TWO, LOOPED, backward(0), 1)).isEqualTo(2 * 7 * 15_000);
  }

  @Test
  void aShardedOptimizerReduceScattersOrAllReducesAndExposesAllAfterTheBackward() {
    // ZeRO-1 on one node: device 1's 2000 params, fp32 gradients over 2 ranks (chunk 4000 B) and
    // fp16 weights gathered back (chunk 2000 B). So few parameters make one bucket, the last, which
    // nothing hides even under a long backward and forward.
    TrainingSpec zero1 =
        TRAINING.withMemoryModes(
            dev.pipeplan.models.Recompute.NONE,
            dev.pipeplan.models.Attention.FLASH,
            dev.pipeplan.models.OptimizerSharding.ZERO1,
            false);
    List<List<Integer>> replicas = List.of(List.of(0, 1), List.of(2, 3));
    long scatter = 1_000 + 4_000;
    long gather = 1_000 + 2_000;
    StageCost slow = new StageCost(1_000_000_000L, 1_000_000_000L, 0, 1, 1, 1, 1);
    List<StageCost> hiding = List.of(slow, slow);
    assertThat(costs(zero1, replicas).dataParallelSyncNanos(TWO, LOOPED, hiding, 1))
        .isEqualTo(scatter + gather);
    // After the backward: the same reduce-scatter and all-gather...
    assertThat(
            costs(zero1.withGradientSyncAfterBackward(true), replicas)
                .dataParallelSyncNanos(TWO, LOOPED, hiding, 1))
        .isEqualTo(scatter + gather);
    // ...or, as DeepSpeed's bf16 optimizer runs it, an all-reduce (two ring halves) and the gather.
    assertThat(
            costs(zero1.withGradientSyncAfterBackward(true).withGradientAllReduce(true), replicas)
                .dataParallelSyncNanos(TWO, LOOPED, hiding, 1))
        .isEqualTo(2 * scatter + gather);
  }

  @Test
  void gradientsAccumulatedInPlaceAreReducedInTheTrainingDtype() {
    // ZeRO-1 after the backward, as above: the reduce-scatter carries 2-byte gradients (chunk 2000
    // B) when they are accumulated in place in fp16/bf16, 4-byte ones (chunk 4000 B) otherwise.
    TrainingSpec zero1 =
        TRAINING
            .withMemoryModes(
                dev.pipeplan.models.Recompute.NONE,
                dev.pipeplan.models.Attention.FLASH,
                dev.pipeplan.models.OptimizerSharding.ZERO1,
                false)
            .withGradientSyncAfterBackward(true);
    List<List<Integer>> replicas = List.of(List.of(0, 1), List.of(2, 3));
    List<StageCost> none =
        List.of(new StageCost(0, 0, 0, 1, 1, 1, 1), new StageCost(0, 0, 0, 1, 1, 1, 1));
    long gather = 1_000 + 2_000;
    for (dev.pipeplan.models.GradientAccumulation mode :
        dev.pipeplan.models.GradientAccumulation.values()) {
      long scatter =
          mode == dev.pipeplan.models.GradientAccumulation.IN_PLACE ? 1_000 + 2_000 : 1_000 + 4_000;
      assertThat(
              costs(zero1.withGradientAccumulation(mode), replicas)
                  .dataParallelSyncNanos(TWO, LOOPED, none, 1))
          .as(mode.id())
          .isEqualTo(scatter + gather);
    }
  }

  private static IterationCosts costs(TrainingSpec training, List<List<Integer>> replicas) {
    return new IterationCosts(
        model(1000, 2000), training, CLUSTER, 1, replicas, java.util.OptionalLong.empty());
  }

  @Test
  void theBackwardHidesAllButTheLastBucket() {
    // 80M params on device 0, dp 2: bucket 40M, so at least half of the all-reduce is exposed
    IterationCosts big = costs(model(80_000_000, 0), List.of(List.of(0, 1), List.of(2, 3)), 0);
    long allReduce = IterationCosts.ringAllReduceNanos(320_000_000, 2, CLUSTER.intraNodeLink());
    assertThat(allReduce).isEqualTo(2 * (1_000 + 160_000_000));

    assertThat(big.dataParallelSyncNanos(TWO, LOOPED, backward(0), 1)).isEqualTo(allReduce);
    assertThat(big.dataParallelSyncNanos(TWO, LOOPED, backward(Long.MAX_VALUE / 4), 1))
        .isEqualTo(allReduce / 2);
    assertThat(big.dataParallelSyncNanos(TWO, LOOPED, backward(allReduce / 4), 1))
        .isEqualTo(allReduce - allReduce / 4);
    // With the sync after the backward (DeepSpeed's pipeline engine), even a long backward hides
    // none
    IterationCosts after =
        new IterationCosts(
            model(80_000_000, 0),
            TRAINING.withGradientSyncAfterBackward(true),
            CLUSTER,
            1,
            List.of(List.of(0, 1), List.of(2, 3)),
            java.util.OptionalLong.empty());
    assertThat(after.dataParallelSyncNanos(TWO, LOOPED, backward(Long.MAX_VALUE / 4), 1))
        .isEqualTo(allReduce);
  }

  @Test
  void anEmbeddingTableLargerThanABucketIsReducedWholeAfterTheBackward() {
    // The engines bucket in reverse parameter order, so the table (the first parameter) is in the
    // last bucket; 80M of table is twice Megatron's 40M bucket and the backward hides none of it.
    ModelSpec embedded =
        new ModelSpec(
            "embedded",
            List.of(
                layer("embedding", LayerKind.EMBEDDING, 80_000_000),
                layer("b", LayerKind.LINEAR, 80_000_000)),
            DType.FP16,
            0);
    List<List<Integer>> replicas = List.of(List.of(0, 1), List.of(2, 3));
    long allReduce = IterationCosts.ringAllReduceNanos(320_000_000, 2, CLUSTER.intraNodeLink());
    long hidden = Long.MAX_VALUE / 4;

    assertThat(costs(embedded, replicas, 0).dataParallelSyncNanos(TWO, LOOPED, backward(hidden), 1))
        .isEqualTo(allReduce);
    // The same 80M parameters in a layer that is not a table: only the last 40M bucket shows.
    assertThat(
            costs(model(80_000_000, 80_000_000), replicas, 0)
                .dataParallelSyncNanos(TWO, LOOPED, backward(hidden), 1))
        .isEqualTo(allReduce / 2);
  }

  @Test
  void optimizerStepStreamsWeightsGradientsAndStateOnce() {
    IterationCosts one = costs(model(1000, 2000), List.of(List.of(0), List.of(1)), 0);
    double bandwidth = 1e12 * RooflineParameters.of(DEVICE).hbmEfficiency();
    // fp16 weights 2 + fp32 main gradients 4 (fused accumulation) + Adam state read and written
    // 2 x 12, the clipping norm's read of the gradients 4, the master weights copied back (4 + 2),
    // and fp16's unscaling of the fp32 gradients with an overflow check (4 + 4): 48 bytes per
    // parameter
    assertThat(IterationCosts.optimizerStepBytesPerParameter(TRAINING)).isEqualTo(48);
    assertThat(one.optimizerStepNanos(TWO, LOOPED))
        .isEqualTo((long) Math.ceil(2000 * 48 * 1e9 / bandwidth));
    // both layers on device 0
    assertThat(one.optimizerStepNanos(TWO, List.of(0, 0)))
        .isEqualTo((long) Math.ceil(3000 * 48 * 1e9 / bandwidth));
    // fp16 gradients added in place are 2 bytes, cast to fp32 (2 + 4) before the unscaling: 50
    assertThat(
            IterationCosts.optimizerStepBytesPerParameter(
                TRAINING.withGradientAccumulation(GradientAccumulation.IN_PLACE)))
        .isEqualTo(2 + 2 + 2 * 12 + 2 + (4 + 2) + (2 + 4) + (4 + 4));
    // bf16 needs neither the cast nor the unscaling: 40; fp32 Adam (8 state bytes) has no master
    // copy to write back: 4 + 4 + 2 x 8 + 4
    assertThat(
            IterationCosts.optimizerStepBytesPerParameter(
                new TrainingSpec(
                    16, 0, dev.pipeplan.models.DType.BF16, Optimizer.adamMixedPrecision(), false)))
        .isEqualTo(2 + 4 + 2 * 12 + 4 + (4 + 2));
    assertThat(
            IterationCosts.optimizerStepBytesPerParameter(
                new TrainingSpec(
                    16, 0, dev.pipeplan.models.DType.FP32, Optimizer.adamFp32(), false)))
        .isEqualTo(4 + 4 + 2 * 8 + 4);
  }

  @Test
  void fp8WeightsCastOnceAnIterationAreCountedWithTheStepUnlessRegatheredEachMicroBatch() {
    ModelSpec llama = dev.pipeplan.models.zoo.Zoo.get("llama3-8b", 4096);
    ClusterSpec h100 = dev.pipeplan.models.cluster.Clusters.load("h100:1x1");
    TrainingSpec everyMicroBatch = TrainingSpec.of(16, 4096, DType.BF16).withFp8Linears(true);
    TrainingSpec once = everyMicroBatch.withFp8WeightCastsPerIteration(true);
    Partition whole = Partition.of(llama.layerCount());
    List<List<Integer>> replica = List.of(List.of(0));
    java.util.function.Function<TrainingSpec, Long> step =
        t ->
            new IterationCosts(llama, t, h100, 1, replica, java.util.OptionalLong.empty())
                .optimizerStepNanos(whole, List.of(0));

    dev.pipeplan.simulator.cost.roofline.DeviceRoofline roofline =
        dev.pipeplan.simulator.cost.roofline.DeviceRoofline.of(h100.device(0), DType.BF16);
    double casts = 0;
    for (int i = 0; i < llama.layerCount(); i++) {
      for (dev.pipeplan.simulator.cost.roofline.Op op :
          dev.pipeplan.simulator.cost.roofline.LayerOps.fp8WeightCasts(
              llama.layer(i),
              1,
              2,
              dev.pipeplan.simulator.cost.roofline.ModelFeatures.of(llama),
              dev.pipeplan.simulator.cost.roofline.RooflineOptions.of(once))) {
        casts += op.nanos(roofline);
      }
    }
    assertThat(casts).isPositive();
    assertThat(step.apply(once) - step.apply(everyMicroBatch)).isEqualTo((long) Math.ceil(casts));
    // ZeRO-3 gathers the weights for every micro-batch: nothing to cache, nothing moved here
    TrainingSpec sharded =
        once.withMemoryModes(
            once.recompute(),
            once.attention(),
            dev.pipeplan.models.OptimizerSharding.ZERO3,
            once.sequenceParallel());
    assertThat(sharded.castsFp8WeightsOncePerIteration()).isFalse();
    assertThat(step.apply(sharded))
        .isEqualTo(step.apply(sharded.withFp8WeightCastsPerIteration(false)));
  }

  @Test
  void aMemoryLimitOverridesTheDevicesOwnInEitherDirection() {
    List<List<Integer>> replicas = List.of(List.of(0), List.of(1));
    assertThat(costs(model(1, 1), replicas, 0).memoryLimitBytes(1)).isEqualTo(80_000_000_000L);
    assertThat(costs(model(1, 1), replicas, 60_000_000_000L).memoryLimitBytes(1))
        .isEqualTo(60_000_000_000L);
    assertThat(costs(model(1, 1), replicas, 100_000_000_000L).memoryLimitBytes(0))
        .isEqualTo(100_000_000_000L);
  }

  @Test
  void rejectsPipelineDevicesWithDifferentReplicaCounts() {
    assertThatThrownBy(() -> costs(model(1, 1), List.of(List.of(0, 1), List.of(2)), 0))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("same, positive number of replicas");
  }
}
