package dev.pipeplan.simulator.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.SubLayers;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.zoo.Zoo;
import dev.pipeplan.simulator.cost.roofline.AttentionKernel;
import dev.pipeplan.simulator.cost.roofline.DeviceRoofline;
import dev.pipeplan.simulator.cost.roofline.LayerRoofline;
import dev.pipeplan.simulator.cost.roofline.Op;
import dev.pipeplan.simulator.cost.roofline.Pass;
import dev.pipeplan.simulator.cost.roofline.RooflineOptions;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pieces of a sub-layer partition cost what their block costs, split by step. */
class SubLayerCostsTest {
  private static final LinkSpec NVLINK = new LinkSpec("nvlink", 360e9, 5_000);

  @Test
  void theStepsOfABlockRunExactlyTheBlocksKernelsAndCollectives() {
    for (String name : List.of("gpt2-xl", "llama3-8b")) {
      ModelSpec model = Zoo.get(name);
      for (SubLayers.Unit unit : SubLayers.Unit.values()) {
        ModelSpec pieces = SubLayers.split(model, unit, 1);
        int per = unit.parts().size();
        for (AttentionKernel kernel : AttentionKernel.values()) {
          for (boolean sp : new boolean[] {false, true}) {
            RooflineOptions options =
                new RooflineOptions(
                    kernel, sp, false, GradientAccumulation.FUSED, CrossEntropy.UNFUSED);
            LayerRoofline whole = new LayerRoofline(model, model.dtype(), options, NVLINK);
            LayerRoofline cut = new LayerRoofline(pieces, model.dtype(), options, NVLINK);
            DeviceRoofline h100 = DeviceRoofline.of(Clusters.device("h100-sxm"), model.dtype());
            for (Pass pass : Pass.values()) {
              for (int t : new int[] {1, 4}) {
                String what =
                    name + " " + unit + " " + kernel + " sp=" + sp + " " + pass + " t=" + t;
                // block 0 is layer 1; its pieces are layers 1..per
                List<Op> ops = new ArrayList<>();
                double nanos = 0;
                for (int i = 1; i <= per; i++) {
                  ops.addAll(cut.ops(i, pass, 2, t));
                  nanos += cut.nanos(h100, i, pass, 2, t);
                }
                assertThat(sorted(ops)).as(what).isEqualTo(sorted(whole.ops(1, pass, 2, t)));
                assertThat(nanos)
                    .as(what)
                    .isCloseTo(whole.nanos(h100, 1, pass, 2, t), within(1e-6));
              }
            }
          }
        }
      }
    }
  }

  @Test
  void selectiveRecomputationRunsTheAttentionAgainOnlyWhereItIs() {
    ModelSpec model = Zoo.get("gpt3-1.3b");
    ModelSpec steps = SubLayers.split(model, SubLayers.Unit.STEP, 1);
    TrainingSpec training =
        TrainingSpec.of(8, model.sequenceLength(), model.dtype())
            .withMemoryModes(
                Recompute.SELECTIVE,
                dev.pipeplan.models.Attention.EAGER,
                dev.pipeplan.models.OptimizerSharding.NONE,
                false);
    LayerSums sums = new LayerSums(steps);
    // layer 2 is block 0's attention step, layers 1 and 3..5 its other steps
    assertThat(sums.recomputedForwardFraction(2, 3, training)).isEqualTo(1.0);
    assertThat(sums.recomputedForwardFraction(1, 2, training)).isZero();
    assertThat(sums.recomputedForwardFraction(3, 6, training)).isZero();
    LayerSums block = new LayerSums(model);
    double core = sums.recomputedForwardFraction(1, 6, training) * sums.forwardFlops(1, 6);
    assertThat(core)
        .isCloseTo(
            block.recomputedForwardFraction(1, 2, training) * block.forwardFlops(1, 2),
            within(1.0));
  }

  @Test
  void aStageOfWholeBlocksCostsTheSameCutOrNot() {
    ModelSpec model = Zoo.get("llama3-8b");
    ClusterSpec cluster = Clusters.load("h100:1x8");
    TrainingSpec training = TrainingSpec.of(8, model.sequenceLength(), model.dtype());
    ModelSpec pieces = SubLayers.split(model, SubLayers.Unit.STEP, 1);
    StageCosts whole =
        new AnalyticCostModel(model, training, cluster)
            .stageCosts(request(new Partition(List.of(1, 4, model.layerCount() - 5))));
    StageCosts cut =
        new AnalyticCostModel(pieces, training, cluster)
            .stageCosts(request(new Partition(List.of(1, 20, pieces.layerCount() - 21))));
    StageCost a = whole.stage(1);
    StageCost b = cut.stage(1);
    assertThat(b.forwardNanos()).isCloseTo(a.forwardNanos(), within(2L));
    assertThat(b.backwardInputNanos()).isCloseTo(a.backwardInputNanos(), within(2L));
    assertThat(b.backwardWeightNanos()).isCloseTo(a.backwardWeightNanos(), within(2L));
    assertThat(b.activationBytes()).isEqualTo(a.activationBytes());
    assertThat(b.staticBytes()).isEqualTo(a.staticBytes());
    assertThat(b.outputBytes()).isEqualTo(a.outputBytes());
  }

  @Test
  void theHeadIsCutSoThatNoSliceOutweighsAPieceOfABlock() {
    ModelSpec model = Zoo.get("gpt2-xl");
    ClusterSpec cluster = Clusters.load("h100:1x8");
    TrainingSpec training = TrainingSpec.of(8, model.sequenceLength(), model.dtype());
    int halves = SubLayerPieces.headSlices(model, 2, training, cluster);
    int steps = SubLayerPieces.headSlices(model, 5, training, cluster);
    assertThat(halves).isGreaterThan(1);
    assertThat(steps).isGreaterThan(halves);
    ModelSpec cut = SubLayerPieces.split(model, SubLayers.Unit.STEP, training, cluster);
    assertThat(cut.layers().stream().filter(l -> l.kind() == LayerKind.LM_HEAD).count())
        .isEqualTo(steps);
    // A whole-layer model gives the cost model nothing to cut.
    assertThat(SubLayerPieces.headSlices(Zoo.get("vgg16"), 5, training, cluster)).isEqualTo(1);
  }

  @Test
  void noSliceOutweighsAnAveragePieceInAnyActionAndOneSliceFewerWould() {
    // gpt2-xl's loss is memory-bound, so its head is F-heavy: sized by F + I + W together (22
    // slices) a slice's forward was 1.5 times a piece's, which bound the zero-bubble period
    ModelSpec model = Zoo.get("gpt2-xl");
    ClusterSpec cluster = Clusters.load("h100:2x8");
    TrainingSpec training = TrainingSpec.of(48, model.sequenceLength(), model.dtype());
    int slices = SubLayerPieces.headSlices(model, 5, training, cluster);
    LayerRoofline roofline =
        new LayerRoofline(
            model, training.dtype(), RooflineOptions.of(training), cluster.intraNodeLink());
    DeviceRoofline device = DeviceRoofline.of(cluster.device(0), training.dtype());
    double worstRatio = 0;
    double totalHead = 0;
    double totalPiece = 0;
    for (Pass pass : Pass.values()) {
      double blocks = 0;
      int count = 0;
      double head = 0;
      for (int i = 0; i < model.layerCount(); i++) {
        LayerKind kind = model.layer(i).kind();
        if (kind == LayerKind.TRANSFORMER_BLOCK) {
          blocks += roofline.nanos(device, i, pass, 1, 1);
          count++;
        } else if (kind == LayerKind.LM_HEAD) {
          head = roofline.nanos(device, i, pass, 1, 1);
        }
      }
      double piece = blocks / count / 5;
      assertThat(head / slices).as(pass + " of a slice").isLessThanOrEqualTo(piece * (1 + 1e-9));
      worstRatio = Math.max(worstRatio, head / (slices - 1) / piece);
      totalHead += head;
      totalPiece += piece;
    }
    assertThat(worstRatio).as("the fewest slices").isGreaterThan(1);
    // more slices than the sum alone asks for
    assertThat(slices).isGreaterThan((int) Math.ceil(totalHead / totalPiece));
  }

  @Test
  void aTiedHeadCutOverStagesKeepsEachStagesRowsOfTheTable() {
    ModelSpec model = SubLayers.split(Zoo.get("gpt2-small"), SubLayers.Unit.SUBLAYER, 4);
    TiedHead tied = TiedHead.of(model);
    int n = model.layerCount();
    long table = tied.tableParameters();
    assertThat(tied.headIndices()).containsExactly(n - 4, n - 3, n - 2, n - 1);
    assertThat(tied.copyParameters(n - 4, n)).isEqualTo(table);
    assertThat(tied.copyParameters(n - 2, n) + tied.copyParameters(n - 4, n - 2)).isEqualTo(table);
    assertThat(tied.copyParameters(0, n)).isZero();
  }

  private static CostRequest request(Partition partition) {
    return new CostRequest(
        partition, 1, Collections.nCopies(partition.stageCount(), 0), List.of(0), 1, 1);
  }

  private static List<String> sorted(List<Op> ops) {
    List<String> names = new ArrayList<>();
    for (Op op : ops) {
      names.add(op.toString());
    }
    Collections.sort(names);
    return names;
  }
}
