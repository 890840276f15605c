package dev.pipeplan.simulator.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.zoo.Zoo;
import dev.pipeplan.simulator.cost.roofline.Collectives;
import dev.pipeplan.simulator.cost.roofline.LayerOps;
import dev.pipeplan.simulator.cost.roofline.ModelFeatures;
import dev.pipeplan.simulator.cost.roofline.Op;
import dev.pipeplan.simulator.cost.roofline.Pass;
import dev.pipeplan.simulator.cost.roofline.RooflineOptions;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Context parallelism: each rank's share of the work and memory, and the ring's exchange. */
class ContextParallelTest {
  private static final ModelSpec LLAMA = Zoo.get("llama3-8b", 32768);
  private static final int BLOCK = 1;

  private static double flops(int cp, Pass pass, boolean attentionOnly) {
    double total = 0;
    for (Op op :
        LayerOps.of(
            LLAMA.layer(BLOCK),
            pass,
            1,
            2,
            cp,
            LLAMA.dtype().bytes(),
            ModelFeatures.of(LLAMA),
            RooflineOptions.defaults())) {
      if (!attentionOnly || op instanceof Op.FusedAttention) {
        total += op.flops();
      }
    }
    return total;
  }

  @Test
  void eachRankRunsItsShareOfEveryGemmAndOfTheAttention() {
    for (Pass pass : Pass.values()) {
      double whole = flops(1, pass, false);
      assertThat(whole).isPositive();
      for (int cp : new int[] {2, 4, 8}) {
        // the cp ranks together do the work of one rank without context parallelism
        assertThat(cp * flops(cp, pass, false)).isCloseTo(whole, within(whole * 1e-9));
      }
    }
    double attention = flops(1, Pass.FORWARD, true);
    assertThat(attention).isPositive();
    assertThat(4 * flops(4, Pass.FORWARD, true)).isCloseTo(attention, within(attention * 1e-9));
  }

  private static TrainingSpec training(OptimizerSharding sharding) {
    return TrainingSpec.of(64, LLAMA.sequenceLength(), LLAMA.dtype())
        .withMemoryModes(Recompute.NONE, Attention.FLASH, sharding, true);
  }

  @Test
  void dividesTheActivationsAndTheHandOffAndShardsTheOptimizerOverDpTimesCp() {
    Partition partition = Partition.of(17, 17);
    TrainingSpec zero1 = training(OptimizerSharding.ZERO1);
    StageBytes whole = StageBytes.of(LLAMA, zero1, partition, 1, 2, 2, 1).get(0);
    StageBytes split = StageBytes.of(LLAMA, zero1, partition, 1, 2, 2, 4).get(0);
    assertThat(split.activationBytes())
        .isBetween(whole.activationBytes() / 4, whole.activationBytes() / 4 + 1);
    assertThat(split.outputBytes()).isEqualTo((whole.outputBytes() + 3) / 4);
    // the optimizer shards over the 8 ranks that hold the same weights, as dp 8 would
    assertThat(split.staticBytes())
        .isEqualTo(StageBytes.of(LLAMA, zero1, partition, 1, 2, 8, 1).get(0).staticBytes());
    assertThat(split.staticBytes()).isLessThan(whole.staticBytes());
    // the ring's two key/value chunks in flight are workspace
    assertThat(split.workspaceBytes()).isPositive();
    assertThat(whole.workspaceBytes()).isZero();
  }

  @Test
  void theKeyValueRingHidesUnderTheAttentionUnlessTheLinkIsSlow() {
    LinkSpec network = new LinkSpec("ib", 50e9, 5_000);
    double exchange =
        Collectives.contextParallelNanos(
            LLAMA.layer(BLOCK), Pass.FORWARD, 1, 1, 4, LLAMA.dtype().bytes(), network);
    // three hops of 8192 tokens' keys and values: 8 heads of 128, bf16
    long hop = 8192L * 2 * 8 * 128 * 2;
    assertThat(exchange).isCloseTo(3.0 * network.transferNanos(hop), within(1.0));
    assertThat(
            Collectives.contextParallelNanos(
                LLAMA.layer(BLOCK), Pass.BACKWARD_INPUT, 1, 1, 4, LLAMA.dtype().bytes(), network))
        .isCloseTo(3.0 * network.transferNanos(2 * hop), within(1.0));
    assertThat(
            Collectives.contextParallelNanos(
                LLAMA.layer(BLOCK), Pass.BACKWARD_WEIGHT, 1, 1, 4, LLAMA.dtype().bytes(), network))
        .isZero();
    assertThat(Collectives.contextParallelExposedNanos(exchange, 10 * exchange, 4)).isZero();
    assertThat(Collectives.contextParallelExposedNanos(exchange, 0.5 * exchange, 4))
        .isCloseTo(exchange - 0.375 * exchange, within(1e-6));
    assertThat(Collectives.contextParallelExposedNanos(exchange, 0, 1)).isZero();
  }

  private static StageCost stage(ClusterSpec cluster, int tp, int cp) {
    return stage(cluster, tp, 1, cp);
  }

  private static StageCost stage(ClusterSpec cluster, int tp, int dp, int cp) {
    TrainingSpec training = training(OptimizerSharding.NONE);
    CostRequest request = new CostRequest(Partition.of(34), 1, List.of(0), List.of(0), tp, dp, cp);
    return new AnalyticCostModel(LLAMA, training, cluster).stageCosts(request).stage(0);
  }

  /** The cluster with a network a thousand times slower, so that a ring over it shows. */
  private static ClusterSpec slowNetwork(ClusterSpec cluster) {
    return new ClusterSpec(
        "slow",
        cluster.groups(),
        cluster.intraNodeLink(),
        new LinkSpec("slow", cluster.interNodeLink().bandwidthBytesPerSecond() / 1000, 5_000));
  }

  @Test
  void aRankIsFasterThanTheWholeSequenceAndTheRingPaysForASlowNetwork() {
    ClusterSpec dgx = Clusters.load("h100:2x8");
    StageCost whole = stage(dgx, 8, 1);
    StageCost split = stage(dgx, 8, 2);
    // half the tokens, a little more than half the time: the exchange and the fixed costs
    assertThat(split.forwardNanos()).isLessThan(whole.forwardNanos());
    assertThat(split.forwardNanos()).isGreaterThan(whole.forwardNanos() / 2);
    // the same group over a network a thousand times slower: the exchange shows
    ClusterSpec slow = slowNetwork(dgx);
    assertThat(stage(slow, 8, 2).forwardNanos()).isGreaterThan(split.forwardNanos());
    // inside one node (tp 4, cp 2) the network does not matter
    assertThat(stage(slow, 4, 2).forwardNanos()).isEqualTo(stage(dgx, 4, 2).forwardNanos());
  }

  @Test
  void theRingOfAnyReplicaThatCrossesANodePaysTheNetwork() {
    // nodes of 6: replica 0's ring (cluster devices 0..3) stays in node 0, replica 1's (4..7)
    // crosses into node 1, and the replicas run in step
    ClusterSpec sixes = slowNetwork(Clusters.load("h100:4x6"));
    assertThat(stage(sixes, 1, 6, 4).forwardNanos())
        .isGreaterThan(stage(sixes, 1, 1, 4).forwardNanos());
    // nodes of 8 hold two replicas' rings each: no ring crosses
    ClusterSpec eights = slowNetwork(Clusters.load("h100:3x8"));
    assertThat(stage(eights, 1, 6, 4).forwardNanos())
        .isEqualTo(stage(eights, 1, 1, 4).forwardNanos());
  }

  @Test
  void aProfileCannotPriceContextParallelism() {
    ModelSpec tiny = Zoo.get("gpt-tiny");
    Profile profile = StageBytesTest.uniformProfile(tiny);
    TrainingSpec training = TrainingSpec.of(8, tiny.sequenceLength(), tiny.dtype());
    CostModel measured =
        MeasuredCostModel.fromProfile(tiny, profile, training, Clusters.load("h100:1x8"));
    CostRequest request =
        new CostRequest(Partition.of(tiny.layerCount()), 1, List.of(0), List.of(0), 1, 1, 2);
    assertThatThrownBy(() -> measured.stageCosts(request))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("context-parallel degree 2")
        .hasMessageContaining("--cp 1");
  }
}
