package dev.pipeplan.simulator.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.zoo.Zoo;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bytes of a stage, the same whatever prices its durations. */
class StageBytesTest {
  private static final ModelSpec GPT_TINY = Zoo.get("gpt-tiny");
  private static final ClusterSpec CLUSTER = Clusters.load("h100:1x8");

  private static List<StageBytes> priced(CostModel model, Partition partition, int b, int tp) {
    int stages = partition.stageCount();
    List<Integer> devices = new ArrayList<>();
    List<Integer> first = new ArrayList<>();
    for (int s = 0; s < stages; s++) {
      devices.add(s);
      first.add(s * tp);
    }
    return model.stageCosts(new CostRequest(partition, b, devices, first, tp, 2)).stages().stream()
        .map(StageBytes::of)
        .toList();
  }

  /** A profile of the model whose every layer takes 10 us + 100 us per sample in each pass. */
  static Profile uniformProfile(ModelSpec model) {
    List<Profile.LayerProfile> layers = new ArrayList<>();
    Profile.LinearFit fit = new Profile.LinearFit(10_000, 100_000);
    for (int i = 0; i < model.layerCount(); i++) {
      layers.add(new Profile.LayerProfile(model.layer(i).name(), List.of(), fit, fit, fit));
    }
    return new Profile(
        model.name(),
        "cpu",
        "test",
        layers,
        20_000,
        1e12,
        Profile.Repeatability.unknown(),
        List.of(),
        0);
  }

  @Test
  void areTheBytesOfEveryCostSource() {
    Partition partition = Partition.of(3, 4, 3);
    TrainingSpec full =
        TrainingSpec.of(64, GPT_TINY.sequenceLength(), GPT_TINY.dtype())
            .withMemoryModes(Recompute.FULL, Attention.FLASH, OptimizerSharding.ZERO3, true);
    List<StageBytes> expected = StageBytes.of(GPT_TINY, full, partition, 4, 2, 2);
    assertThat(expected).hasSize(3);
    assertThat(expected.get(0).workspaceBytes()).isPositive();
    assertThat(priced(new AnalyticCostModel(GPT_TINY, full, CLUSTER), partition, 4, 2))
        .isEqualTo(expected);
    Profile profile = uniformProfile(GPT_TINY);
    assertThat(
            priced(
                MeasuredCostModel.fromProfile(GPT_TINY, profile, full, CLUSTER), partition, 4, 2))
        .isEqualTo(expected);
  }

  @Test
  void changeWithThePartitionAndTheMicroBatchSize() {
    TrainingSpec training = TrainingSpec.of(64, GPT_TINY.sequenceLength(), GPT_TINY.dtype());
    List<StageBytes> base = StageBytes.of(GPT_TINY, training, Partition.of(5, 5), 2, 1, 1);
    assertThat(StageBytes.of(GPT_TINY, training, Partition.of(4, 6), 2, 1, 1).get(0).staticBytes())
        .isLessThan(base.get(0).staticBytes());
    assertThat(StageBytes.of(GPT_TINY, training, Partition.of(5, 5), 4, 1, 1).get(0))
        .extracting(StageBytes::activationBytes, StageBytes::outputBytes)
        .containsExactly(2 * base.get(0).activationBytes(), 2 * base.get(0).outputBytes());
  }

  @Test
  void refusesAPartitionThatDoesNotCoverTheModel() {
    TrainingSpec training = TrainingSpec.of(64, GPT_TINY.sequenceLength(), GPT_TINY.dtype());
    assertThatThrownBy(() -> StageBytes.of(GPT_TINY, training, Partition.of(5, 4), 2, 1, 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("covers 9 layers");
  }
}
