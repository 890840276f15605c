package dev.pipeplan.simulator.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-computed expectations for both cost sources on a two-layer model with round numbers. */
class CostModelsTest {
  /** 1 TFLOP/s in fp16, 1 TB/s of memory, 5 us per action. */
  private static final DeviceSpec DEVICE =
      new DeviceSpec("round", Map.of(DType.FP16, 1e12), 80_000_000_000L, 1e12, 5_000);

  private static final LinkSpec NVLINK = new LinkSpec("intra", 1e9, 1_000);
  private static final LinkSpec IB = new LinkSpec("inter", 1e8, 10_000);
  private static final ClusterSpec CLUSTER = ClusterSpec.of("test", DEVICE, 2, 2, NVLINK, IB);

  private static LayerSpec layer(
      String name,
      LayerKind kind,
      double f,
      double i,
      double w,
      long params,
      long saved,
      long out,
      MeasuredTimes measured) {
    return new LayerSpec(
        name, kind, LayerShape.unknown(kind), f, i, w, params, saved, out, measured);
  }

  private static ModelSpec model(MeasuredTimes first, MeasuredTimes second) {
    return new ModelSpec(
        "two",
        List.of(
            layer("linear", LayerKind.LINEAR, 1e9, 1e9, 2e9, 1000, 340, 100, first),
            layer("block", LayerKind.TRANSFORMER_BLOCK, 2e9, 2e9, 2e9, 2000, 680, 200, second)),
        DType.FP16,
        0);
  }

  private static TrainingSpec training(boolean recompute) {
    return new TrainingSpec(16, 0, DType.FP16, Optimizer.adamMixedPrecision(), recompute);
  }

  private static CostRequest twoStages(
      int microBatchSize, int tensorParallel, List<Integer> clusterDevices) {
    return new CostRequest(
        Partition.of(1, 1), microBatchSize, List.of(0, 1), clusterDevices, tensorParallel);
  }

  @Test
  void analyticTimeIsFlopsOverRatePlusWeightStreamingPlusOverhead() {
    StageCosts costs =
        new AnalyticCostModel(model(null, null), training(false), CLUSTER)
            .stageCosts(twoStages(4, 1, List.of(0, 1)));

    // Stage 0: 1e9 FLOPs x 4 samples / 1e12 = 4 ms; 1000 params x 2 bytes / 1e12 B/s = 2 ns; + 5
    // us.
    // static 1000 x (2 + 4 + 12): fp16 weights, fp32 main gradients (fused accumulation), fp32
    // master copy, momentum and variance; activations 340 x 4, I frees 20/34 of them; output 100 x
    // 4.
    assertThat(costs.stage(0))
        .isEqualTo(new StageCost(4_005_002, 4_005_002, 8_005_002, 400, 1360, 800, 18_000));
    assertThat(costs.stage(1))
        .isEqualTo(new StageCost(8_005_004, 8_005_004, 8_005_004, 800, 2720, 1600, 36_000));
  }

  @Test
  void analyticEfficiencyFallsAtSmallMicroBatches() {
    // Weights of 1e9 bytes stream in 1 ms, the same as one sample's math: k = 1, efficiency b / (b
    // + 1).
    ModelSpec big =
        new ModelSpec(
            "big",
            List.of(layer("mlp", LayerKind.MLP, 1e9, 1e9, 1e9, 500_000_000L, 0, 8, null)),
            DType.FP16,
            0);
    AnalyticCostModel costs = new AnalyticCostModel(big, training(false), CLUSTER);
    CostRequest one = new CostRequest(Partition.of(1), 1, List.of(0), List.of(0), 1);
    CostRequest nine = new CostRequest(Partition.of(1), 9, List.of(0), List.of(0), 1);

    long atOne = costs.stageCosts(one).stage(0).forwardNanos() - DEVICE.launchOverheadNanos();
    long atNine = costs.stageCosts(nine).stage(0).forwardNanos() - DEVICE.launchOverheadNanos();

    assertThat(atOne).isEqualTo(2_000_000L);
    assertThat(atNine).isEqualTo(10_000_000L);
    // Per sample: 2 ms at 50% efficiency, 1.11 ms at 90%.
    assertThat(atNine / 9.0 / atOne).isLessThan(0.56);
  }

  @Test
  void analyticTensorParallelSplitsWorkAndAddsAllReducesToTheBlock() {
    StageCosts costs =
        new AnalyticCostModel(model(null, null), training(false), CLUSTER)
            .stageCosts(twoStages(4, 2, List.of(0, 2)));

    // Block stage: compute halves (4 ms), weights 2000 x 2 / 2 bytes stream in 2 ns. Two
    // all-reduces of
    // 200 x 4 bytes: ring 2(t-1)/t x 1600 bytes / 1e9 B/s = 1600 ns, latency 2 x 2(t-1) x 1 us =
    // 4000 ns.
    StageCost block = costs.stage(1);
    assertThat(block.forwardNanos()).isEqualTo(4_000_000 + 2 + 5_600 + 5_000);
    assertThat(block.backwardInputNanos()).isEqualTo(4_000_000 + 2 + 5_600 + 5_000);
    assertThat(block.backwardWeightNanos()).isEqualTo(4_000_000 + 2 + 5_000);
    assertThat(block.staticBytes()).isEqualTo(1000 * 18);
    assertThat(block.activationBytes()).isEqualTo(1360);
    // Each tensor rank sends its half of the 200 x 4 output bytes (the scattered hand-off).
    assertThat(block.outputBytes()).isEqualTo(400);
    assertThat(costs.stage(0).outputBytes()).isEqualTo(200);
    // The linear stage has no block: no all-reduce.
    assertThat(costs.stage(0).forwardNanos()).isEqualTo(2_000_000 + 1 + 5_000);
    // Pipeline devices on cluster devices 0 and 2: different nodes, so the hop goes over the
    // inter-node link.
    assertThat(costs.links().transferNanos(0, 1, 400)).isEqualTo(IB.transferNanos(400));
  }

  @Test
  void wholeHandOffsSendEveryTensorRanksCopyUnlessSequenceParallel() {
    CostRequest request = twoStages(4, 2, List.of(0, 2));
    TrainingSpec scattered = training(false);
    TrainingSpec whole = scattered.withWholeHandOffs(true);

    StageCosts wholeCosts =
        new AnalyticCostModel(model(null, null), whole, CLUSTER).stageCosts(request);
    StageCosts sequenceParallel =
        new AnalyticCostModel(
                model(null, null),
                whole.withMemoryModes(
                    whole.recompute(), whole.attention(), whole.optimizerSharding(), true),
                CLUSTER)
            .stageCosts(request);

    // Both tensor ranks send all of the block's 200 x 4 output bytes.
    assertThat(wholeCosts.stage(1).outputBytes()).isEqualTo(800);
    assertThat(wholeCosts.stage(0).outputBytes()).isEqualTo(400);
    // Under sequence parallelism each rank holds, and sends, only its half.
    assertThat(sequenceParallel.stage(1).outputBytes()).isEqualTo(400);
    StageCosts scatteredCosts =
        new AnalyticCostModel(model(null, null), scattered, CLUSTER).stageCosts(request);
    // The hand-off is all that changes.
    assertThat(wholeCosts.stage(1).forwardNanos())
        .isEqualTo(scatteredCosts.stage(1).forwardNanos());
    // Scattered, the two receiving ranks all-gather the linear stage's 100 x 4 output bytes: one
    // ring step of half of them over the node's 1 GB/s link (200 ns) and its 1 us latency. Whole
    // or sequence-parallel hand-offs need no gather.
    assertThat(scatteredCosts.stage(0).handOffGatherNanos()).isEqualTo(1_200);
    // the last stage hands nothing on
    assertThat(scatteredCosts.stage(1).handOffGatherNanos()).isZero();
    assertThat(wholeCosts.stage(0).handOffGatherNanos()).isZero();
    assertThat(sequenceParallel.stage(0).handOffGatherNanos()).isZero();
  }

  @Test
  void analyticRecomputeKeepsOnlyStageInputsAndRepeatsTheForward() {
    StageCosts costs =
        new AnalyticCostModel(model(null, null), training(true), CLUSTER)
            .stageCosts(twoStages(4, 1, List.of(0, 1)));

    StageCost block = costs.stage(1);
    // Keeps its input, the linear layer's 100 x 4 bytes; the full 2720 of its one layer become the
    // backward's workspace, apart from the static memory (a device reserves it once).
    assertThat(block.activationBytes()).isEqualTo(400);
    assertThat(block.staticBytes()).isEqualTo(36_000);
    assertThat(block.workspaceBytes()).isEqualTo(2720);
    assertThat(block.backwardInputNanos()).isEqualTo(8_000_004 + 8_000_004 + 5_000);
    assertThat(costs.stage(0).activationBytes()).isZero();
  }

  @Test
  void analyticLinksFollowTheCluster() {
    StageCosts sameNode =
        new AnalyticCostModel(model(null, null), training(false), CLUSTER)
            .stageCosts(twoStages(4, 1, List.of(0, 1)));

    assertThat(sameNode.links().transferNanos(0, 1, 400)).isEqualTo(1_000 + 400);
    assertThat(sameNode.links().transferNanos(1, 1, 400)).isZero();
  }

  @Test
  void analyticRejectsAPlacementOutsideTheCluster() {
    AnalyticCostModel costs = new AnalyticCostModel(model(null, null), training(false), CLUSTER);

    assertThatThrownBy(() -> costs.stageCosts(twoStages(1, 2, List.of(0, 3))))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("cluster devices 3..4")
        .hasMessageContaining("has 4 devices");
    assertThatThrownBy(() -> costs.stageCosts(twoStages(1, 4, List.of(0, 0))))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("tensor-parallel degree 4 exceeds the 2 devices per node");
  }

  @Test
  void measuredLayerTimesScaleLinearlyInTheMicroBatchSize() {
    ModelSpec measured =
        model(new MeasuredTimes(2, 1000, 2000, 500), new MeasuredTimes(4, 4000, 4000, 4000));
    StageCosts costs =
        MeasuredCostModel.fromLayers(measured, training(false), CLUSTER)
            .stageCosts(twoStages(6, 1, List.of(0, 1)));

    assertThat(costs.stage(0).forwardNanos()).isEqualTo(3000);
    assertThat(costs.stage(0).backwardInputNanos()).isEqualTo(6000);
    assertThat(costs.stage(0).backwardWeightNanos()).isEqualTo(1500);
    assertThat(costs.stage(1).forwardNanos()).isEqualTo(6000);
    assertThat(costs.stage(1).activationBytes()).isEqualTo(680 * 6);
  }

  @Test
  void aProfileMeasuredAtAnotherSequenceLengthIsRefused() {
    Profile.LinearFit line = new Profile.LinearFit(100, 10);
    Profile profile =
        new Profile(
                "two",
                "cpu",
                "test machine",
                List.of(
                    new Profile.LayerProfile("linear", List.of(), line, line, line),
                    new Profile.LayerProfile("block", List.of(), line, line, line)),
                2_000,
                1e9,
                Profile.Repeatability.unknown(),
                List.of(),
                0)
            .withSequenceLength(128);
    ModelSpec at256 = new ModelSpec("two", model(null, null).layers(), DType.FP16, 256);
    assertThatThrownBy(() -> MeasuredCostModel.fromProfile(at256, profile, training(false), null))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("measured at sequence length 128")
        .hasMessageContaining("planned at 256")
        .hasMessageContaining("Maybe use --seq 128, or profile again with --seq 256");
    ModelSpec at128 = new ModelSpec("two", model(null, null).layers(), DType.FP16, 128);
    assertThat(
            MeasuredCostModel.fromProfile(at128, profile, training(false), null)
                .stageCosts(twoStages(1, 1, List.of(0, 1)))
                .stage(0)
                .forwardNanos())
        .isEqualTo(110);
    // a profile without its length recorded is taken as it is
    assertThat(
            MeasuredCostModel.fromProfile(
                at256, profile.withSequenceLength(0), training(false), null))
        .isNotNull();
  }

  @Test
  void measuredProfileLinesInterpolateAndUseTheHandOffLink() {
    Profile.LinearFit line = new Profile.LinearFit(100, 10);
    Profile.LinearFit flat = new Profile.LinearFit(50, 0);
    Profile profile =
        new Profile(
            "two",
            "cpu",
            "test machine",
            List.of(
                new Profile.LayerProfile("linear", List.of(), line, flat, line),
                new Profile.LayerProfile("block", List.of(), flat, line, flat)),
            2_000,
            1e9,
            Profile.Repeatability.unknown(),
            List.of(),
            0);

    StageCosts costs =
        MeasuredCostModel.fromProfile(model(null, null), profile, training(false), null)
            .stageCosts(twoStages(4, 1, List.of(0, 1)));

    assertThat(costs.stage(0))
        .extracting(
            StageCost::forwardNanos, StageCost::backwardInputNanos, StageCost::backwardWeightNanos)
        .containsExactly(140L, 50L, 140L);
    assertThat(costs.stage(1))
        .extracting(
            StageCost::forwardNanos, StageCost::backwardInputNanos, StageCost::backwardWeightNanos)
        .containsExactly(50L, 140L, 50L);
    assertThat(costs.links().transferNanos(0, 1, 1000)).isEqualTo(2_000 + 1_000);
  }

  @Test
  void measuredRejectsALayerWithoutTimes() {
    ModelSpec half = model(new MeasuredTimes(1, 1, 1, 1), null);

    assertThatThrownBy(() -> MeasuredCostModel.fromLayers(half, training(false), CLUSTER))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("layer 'block'")
        .hasMessageContaining("no measured times");
  }

  @Test
  void costRequestRejectsAStageMapOfAnotherSize() {
    assertThatThrownBy(
            () -> new CostRequest(Partition.of(1, 1), 1, List.of(0, 1, 0), List.of(0, 1), 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("2 stages but the stage map has 3");
  }

  @Test
  void fixedCostsSplitABackwardEvenly() {
    StageCosts costs = FixedStageCosts.parseUniform("1,2", 4);

    assertThat(costs.stageCount()).isEqualTo(4);
    assertThat(costs.stage(3)).isEqualTo(StageCost.ofTimes(1_000_000, 1_000_000, 1_000_000));
    assertThat(FixedStageCosts.parseUniform("0.5, 0.25, 0.75", 1).stage(0))
        .isEqualTo(StageCost.ofTimes(500_000, 250_000, 750_000));
    assertThatThrownBy(() -> FixedStageCosts.parseUniform("1", 4))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("give F,B or F,I,W");
    assertThatThrownBy(() -> FixedStageCosts.parseUniform("1,-2", 4))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("B time must be a finite number");
    // a device's times split evenly over its chunks; a bad number is named as the user gave it
    assertThat(FixedStageCosts.parseUniform("1,1,3", 8, 2).stage(7))
        .isEqualTo(StageCost.ofTimes(500_000, 500_000, 1_500_000));
    assertThatThrownBy(() -> FixedStageCosts.parseUniform("1,-3", 8, 2))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("got -3.0");
  }

  @Test
  void clusterLinksAreFreeOnOneDeviceAndDifferByNode() {
    ClusterLinkModel links = ClusterLinkModel.of(CLUSTER, List.of(0, 1, 2));

    assertThat(links.transferNanos(0, 0, 1000)).isZero();
    assertThat(links.transferNanos(0, 1, 1000)).isEqualTo(NVLINK.transferNanos(1000));
    assertThat(links.transferNanos(1, 2, 1000)).isEqualTo(IB.transferNanos(1000));
    assertThat(links.transferNanos(1, 2, 0)).isZero();
  }
}
