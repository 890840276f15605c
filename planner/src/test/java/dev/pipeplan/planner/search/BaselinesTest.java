package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.partition.ReferencePartitioners;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** pipeplan against the reference strategies on PipeDream's measured VGG-16 and GNMT profiles. */
class BaselinesTest {
  private static ModelSpec profile(String name) throws URISyntaxException {
    return ModelLoader.load(
        Path.of(BaselinesTest.class.getResource("/pipedream/" + name).toURI()).toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"vgg16-graph.txt", "gnmt-graph.txt"})
  void pipeplanIsAtLeastAsFastAsEveryReferenceAndFasterThanTheUnbalancedOnes(String file)
      throws Exception {
    ModelSpec model = profile(file);
    assertThat(model.fullyMeasured()).isTrue();
    ClusterSpec cluster = Clusters.load("v100:1x4");
    TrainingSpec training = TrainingSpec.of(64, model.sequenceLength(), model.dtype());
    SearchResult result =
        Planner.search(
            model, training, cluster, SearchOptions.defaults().withPp(4), ProgressListener.none());
    long ours = result.best().iterationNanos();
    List<Baselines.Result> baselines = Baselines.compare(result);
    assertThat(baselines).hasSize(ReferencePartitioners.Strategy.values().length);
    for (Baselines.Result r : baselines) {
      assertThat(ours)
          .as(r.strategy().label())
          .isLessThanOrEqualTo(r.evaluation().iterationNanos());
    }
    // Megatron's equal layer counts ignore that these layers differ in time by orders of magnitude.
    Baselines.Result uniform = baselines.get(ReferencePartitioners.Strategy.UNIFORM.ordinal());
    assertThat(ours).isLessThan(Math.round(uniform.evaluation().iterationNanos() * 0.9));
    Baselines.Result parameters =
        baselines.get(ReferencePartitioners.Strategy.PARAMETERS.ordinal());
    assertThat(ours).isLessThan(parameters.evaluation().iterationNanos());
  }
}
