package dev.pipeplan.executor.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.executor.core.runtime.NanoClock;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.ProfileJson;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProfilerTest {

  @Test
  void profilesEveryLayerInOrderAndMeasuresEqualBlocksOnce() {
    ModelSpec model = ModelLoader.load("gpt-tiny", 8);
    // a clock that advances 1 us per reading makes every measured duration exactly 1 us
    AtomicLong ticks = new AtomicLong();
    NanoClock clock = () -> ticks.addAndGet(1000);
    List<String> progress = new ArrayList<>();
    Profile profile =
        Profiler.profile(
            model, new Profiler.Options(List.of(2, 1), 0, 3, 1, 5L, 1), clock, progress::add);
    assertThat(profile.modelName()).isEqualTo("gpt-tiny");
    assertThat(profile.backend()).isEqualTo("cpu");
    assertThat(profile.machine()).contains("cores: ").contains("threads per worker 1");
    assertThat(profile.layers())
        .extracting(Profile.LayerProfile::layerName)
        .containsExactlyElementsOf(model.layers().stream().map(l -> l.name()).toList());
    // embedding, one block (shared by all eight), head
    assertThat(progress).hasSize(3);
    for (Profile.LayerProfile layer : profile.layers()) {
      assertThat(layer.samples()).extracting(MeasuredTimes::microBatchSize).containsExactly(1, 2);
      assertThat(layer.samples()).allSatisfy(s -> assertThat(s.forwardNanos()).isEqualTo(1000));
      assertThat(layer.forward().nanosAt(4)).isEqualTo(1000);
    }
    assertThat(profile.handoffBytesPerSecond()).isPositive();
  }

  @Test
  void recordsTwoPassesAndTheirRepeatabilityWithMicroBatchesInFlight() {
    ModelSpec model = ModelLoader.load("gpt-tiny", 8);
    AtomicLong ticks = new AtomicLong();
    NanoClock clock = () -> ticks.addAndGet(1000);
    Profile profile =
        Profiler.profile(
            model, new Profiler.Options(List.of(1), 1, 2, 1, 5L, 1, 3), clock, s -> {});
    assertThat(profile.machine()).contains("3 micro-batches in flight");
    // every timed action reads the clock twice in a row: 1 us each, in both passes
    assertThat(profile.layers().get(1).samples().get(0).backwardInputNanos()).isEqualTo(1000);
    Profile.Repeatability r = profile.repeatability();
    assertThat(r.repeatsPerPass()).isEqualTo(2);
    assertThat(r.medianRepeatSpread()).isZero();
    assertThat(r.medianPassDifference()).isZero();
    assertThat(r.maxPassDifference()).isZero();
    assertThat(profile.sequenceLength()).isEqualTo(8);
    assertThat(ProfileJson.write(profile)).contains("\"sequenceLength\" : 8");
    assertThat(ProfileJson.read(ProfileJson.write(profile))).isEqualTo(profile);
  }

  @Test
  void refusesMoreMicroBatchesInFlightThanTheLimit() {
    assertThatThrownBy(() -> new Profiler.Options(List.of(1), 1, 2, 1, 5L, 1, 17))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("17")
        .hasMessageContaining("16");
  }

  @Test
  void concurrentWorkersMeasureTogetherAndKeepTheFirstWorkersTimes() {
    ModelSpec model = ModelLoader.load("gpt-tiny", 4);
    Profile profile =
        Profiler.profile(
            model, new Profiler.Options(List.of(1), 1, 2, 1, 5L, 2), NanoClock.system(), s -> {});
    assertThat(profile.layers()).hasSize(model.layerCount());
    assertThat(profile.machine()).contains("measured with 2 concurrent workers");
    assertThat(profile.layers().get(1).samples().get(0).forwardNanos()).isPositive();
  }

  @Test
  void profileJsonRoundTripsToTheSameBytes() {
    Profile.LinearFit f = new Profile.LinearFit(10.5, 2.25);
    Profile profile =
        new Profile(
            "m",
            "cpu",
            "machine",
            List.of(
                new Profile.LayerProfile("l0", List.of(new MeasuredTimes(1, 12, 5, 4)), f, f, f)),
            2000,
            1e10,
            Profile.Repeatability.unknown(),
            List.of(),
            0);
    String json = ProfileJson.write(profile);
    assertThat(ProfileJson.read(json)).isEqualTo(profile);
    assertThat(ProfileJson.write(ProfileJson.read(json))).isEqualTo(json);
    // a profile that does not record its sequence length (written before it was) reads as 0
    assertThat(json).doesNotContain("sequenceLength");
    assertThat(ProfileJson.read(json).sequenceLength()).isZero();
  }

  @Test
  void rejectsAnEmptySizeList() {
    assertThatThrownBy(() -> new Profiler.Options(List.of(), 0, 1, 1, 1L, 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("microbatch-sizes");
    assertThatThrownBy(() -> new Profiler.Options(List.of(0, 2), 0, 1, 1, 1L, 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage("--microbatch-sizes: a micro-batch size must be > 0, got 0");
  }
}
