package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanPrediction;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProfileSearchTest {
  @Test
  void plansWithMeasuredTimesAndTheProfilesHandOffLink() {
    ModelSpec model = ModelLoader.load("gpt-tiny");
    List<Profile.LayerProfile> layers = new ArrayList<>();
    for (int i = 0; i < model.layerCount(); i++) {
      LayerSpec layer = model.layer(i);
      // the last layer is measured ten times slower than the rest: the partition must isolate it
      double perSample = i == model.layerCount() - 1 ? 1_000_000 : 100_000;
      Profile.LinearFit fit = new Profile.LinearFit(5_000, perSample);
      layers.add(new Profile.LayerProfile(layer.name(), List.of(), fit, fit, fit));
    }
    Profile profile = profileOf(model, layers);
    TrainingSpec training = TrainingSpec.of(16, model.sequenceLength(), model.dtype());
    SearchResult r =
        Planner.search(
            model,
            training,
            Clusters.load("h100:1x4"),
            SearchOptions.defaults().withPp(4).withProfile(profile),
            ProgressListener.none());
    Plan plan = PlanBuilder.fromSearch(r);
    assertThat(plan.parallelism().tp()).isEqualTo(1);
    assertThat(plan.links().intraNode()).isEqualTo(profile.handoffLink());
    List<Integer> counts = plan.partition().layerCounts();
    assertThat(counts.get(counts.size() - 1)).isEqualTo(1);
    assertThat(PlanPrediction.predict(plan).metrics().iterationNanos())
        .isEqualTo(plan.predicted().pipelineNanos());
  }

  /** A profile of gpt-tiny whose layers were measured at micro-batch sizes 1, 2 and 4. */
  private static Profile measuredUpTo4(ModelSpec model) {
    List<Profile.LayerProfile> layers = new ArrayList<>();
    List<MeasuredTimes> samples =
        List.of(
            new MeasuredTimes(1, 200_000, 200_000, 100_000),
            new MeasuredTimes(2, 300_000, 300_000, 150_000),
            new MeasuredTimes(4, 500_000, 500_000, 250_000));
    Profile.LinearFit fit = new Profile.LinearFit(100_000, 100_000);
    for (int i = 0; i < model.layerCount(); i++) {
      layers.add(new Profile.LayerProfile(model.layer(i).name(), samples, fit, fit, fit));
    }
    return profileOf(model, layers);
  }

  /** A CPU profile of {@code model} with these layers, a 20 us hand-off and nothing calibrated. */
  private static Profile profileOf(ModelSpec model, List<Profile.LayerProfile> layers) {
    return new Profile(
        model.name(),
        "cpu",
        "test",
        layers,
        20_000,
        1e9,
        Profile.Repeatability.unknown(),
        List.of(),
        0);
  }

  @Test
  void neverPlansAMicroBatchLargerThanTheProfileMeasured() {
    ModelSpec model = ModelLoader.load("gpt-tiny");
    Profile profile = measuredUpTo4(model);
    assertThat(profile.largestMeasuredMicroBatchSize()).isEqualTo(4);
    TrainingSpec training = TrainingSpec.of(32, model.sequenceLength(), model.dtype());
    SearchOptions options = SearchOptions.defaults().withPp(2).withProfile(profile);

    List<Candidate> candidates =
        Planner.enumerate(model, training, Clusters.load("cpu:1x2"), options);

    assertThat(candidates)
        .isNotEmpty()
        .allSatisfy(c -> assertThat(c.microBatchSize()).isLessThanOrEqualTo(4));
    assertThat(candidates).anySatisfy(c -> assertThat(c.microBatchSize()).isEqualTo(4));
    assertThatThrownBy(
            () ->
                Planner.enumerate(
                    model, training, Clusters.load("cpu:1x2"), options.withMicroBatchSize(8)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("microbatch size 8 is above the largest the profile measured (4)");
  }

  @Test
  void aFixedMicroBatchCountThatNeedsALargerMicroBatchSaysSoNotThatTheBatchDoesNotDivide() {
    ModelSpec model = ModelLoader.load("gpt-tiny");
    TrainingSpec training = TrainingSpec.of(32, model.sequenceLength(), model.dtype());
    SearchOptions options =
        SearchOptions.defaults().withPp(2).withProfile(measuredUpTo4(model)).withMicroBatches(2);

    assertThatThrownBy(() -> Planner.enumerate(model, training, Clusters.load("cpu:1x2"), options))
        .isInstanceOf(BadInputException.class)
        .hasMessageNotContaining("not divisible")
        .hasMessageContaining(
            "micro-batch size 16 (m = 2) is above the largest the profile measured (4)."
                + " Maybe use more micro-batches (--microbatches), or profile with"
                + " --microbatch-sizes up to 16.");
  }
}
