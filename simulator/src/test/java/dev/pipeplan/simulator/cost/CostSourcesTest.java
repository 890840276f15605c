package dev.pipeplan.simulator.cost;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceGroup;
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
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The one choice of cost source: profile, else the model's own measured times, else analytic. */
class CostSourcesTest {
  private static final DeviceSpec DEVICE =
      new DeviceSpec("round", Map.of(DType.FP16, 1e12), 80_000_000_000L, 1e12, 5_000);
  private static final ClusterSpec CLUSTER =
      ClusterSpec.of(
          "test",
          DEVICE,
          1,
          2,
          new LinkSpec("intra", 1e9, 1_000),
          new LinkSpec("inter", 1e8, 10_000));
  private static final TrainingSpec TRAINING =
      new TrainingSpec(16, 0, DType.FP16, Optimizer.adamMixedPrecision(), false);
  private static final CostRequest TWO_STAGES =
      new CostRequest(Partition.of(1, 1), 4, List.of(0, 1), List.of(0, 1), 1);

  private static ModelSpec model(MeasuredTimes first, MeasuredTimes second) {
    return new ModelSpec(
        "two",
        List.of(
            new LayerSpec(
                "linear",
                LayerKind.LINEAR,
                LayerShape.unknown(LayerKind.LINEAR),
                1e9,
                1e9,
                2e9,
                1000,
                340,
                100,
                first),
            new LayerSpec(
                "block",
                LayerKind.TRANSFORMER_BLOCK,
                LayerShape.unknown(LayerKind.TRANSFORMER_BLOCK),
                2e9,
                2e9,
                2e9,
                2000,
                680,
                200,
                second)),
        DType.FP16,
        0);
  }

  private static Profile profile() {
    Profile.LinearFit line = new Profile.LinearFit(100, 10);
    Profile.LinearFit flat = new Profile.LinearFit(50, 0);
    return new Profile(
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
  }

  @Test
  void aProfilePricesWithItsFittedLinesEvenWhenTheLayersHaveTimes() {
    ModelSpec measured =
        model(new MeasuredTimes(2, 1000, 2000, 500), new MeasuredTimes(4, 4000, 4000, 4000));
    CostModel chosen = CostSources.choose(measured, TRAINING, CLUSTER, Optional.of(profile()));

    assertThat(chosen).isInstanceOf(MeasuredCostModel.class);
    assertThat(chosen.stageCosts(TWO_STAGES))
        .isEqualTo(
            MeasuredCostModel.fromProfile(measured, profile(), TRAINING, CLUSTER)
                .stageCosts(TWO_STAGES));
    assertThat(chosen.stageCosts(TWO_STAGES).stage(0).forwardNanos()).isEqualTo(140);
  }

  @Test
  void aFullyMeasuredModelPricesWithItsOwnTimes() {
    ModelSpec measured =
        model(new MeasuredTimes(2, 1000, 2000, 500), new MeasuredTimes(4, 4000, 4000, 4000));
    CostModel chosen = CostSources.choose(measured, TRAINING, CLUSTER, Optional.empty());

    assertThat(chosen).isInstanceOf(MeasuredCostModel.class);
    assertThat(chosen.stageCosts(TWO_STAGES))
        .isEqualTo(
            MeasuredCostModel.fromLayers(measured, TRAINING, CLUSTER).stageCosts(TWO_STAGES));
    assertThat(chosen.stageCosts(TWO_STAGES).stage(0).forwardNanos()).isEqualTo(2000);
  }

  @Test
  void anyOtherModelIsPricedAnalytically() {
    ModelSpec partlyMeasured = model(new MeasuredTimes(2, 1000, 2000, 500), null);
    for (ModelSpec m : List.of(model(null, null), partlyMeasured)) {
      CostModel chosen = CostSources.choose(m, TRAINING, CLUSTER, Optional.empty());

      assertThat(chosen).isInstanceOf(AnalyticCostModel.class);
      assertThat(chosen.stageCosts(TWO_STAGES))
          .isEqualTo(new AnalyticCostModel(m, TRAINING, CLUSTER).stageCosts(TWO_STAGES));
    }
  }

  @Test
  void theAnalyticDevicesAreReadBackFromTheDescription() {
    ClusterSpec mixed =
        new ClusterSpec(
            "mixed",
            List.of(
                new DeviceGroup(DEVICE, 1, 2),
                new DeviceGroup(
                    new DeviceSpec("cpu", Map.of(DType.FP32, 1e10), 4_000_000_000L, 1e10, 20_000),
                    1,
                    2)),
            new LinkSpec("intra", 1e9, 1_000),
            new LinkSpec("inter", 1e8, 10_000));
    ModelSpec analytic = model(null, null);

    assertThat(CostSources.analyticDevices(CostSources.describe(analytic, mixed, Optional.empty())))
        .containsExactly("round", "cpu");
    assertThat(
            CostSources.analyticDevices(
                CostSources.describe(analytic, CLUSTER, Optional.of(profile()))))
        .isEmpty();
    ModelSpec measured =
        model(new MeasuredTimes(2, 1000, 2000, 500), new MeasuredTimes(4, 4000, 4000, 4000));
    assertThat(
            CostSources.analyticDevices(CostSources.describe(measured, CLUSTER, Optional.empty())))
        .isEmpty();
    assertThat(CostSources.analyticDevices(dev.pipeplan.models.Provenance.UNRECORDED)).isEmpty();
  }
}
