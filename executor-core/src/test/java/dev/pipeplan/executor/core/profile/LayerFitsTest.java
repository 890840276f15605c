package dev.pipeplan.executor.core.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.Profile;
import java.util.List;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

class LayerFitsTest {
  @Test
  void fitIsTheLeastSquaresLineAndNeverSlopesDown() {
    List<MeasuredTimes> linear =
        List.of(
            new MeasuredTimes(1, 300, 0, 0),
            new MeasuredTimes(2, 500, 0, 0),
            new MeasuredTimes(4, 900, 0, 0));
    Profile.LinearFit fit = LayerFits.fit(linear, MeasuredTimes::forwardNanos);
    assertThat(fit.fixedNanos()).isCloseTo(100, Assertions.within(1e-6));
    assertThat(fit.perSampleNanos()).isCloseTo(200, Assertions.within(1e-6));
    List<MeasuredTimes> falling =
        List.of(new MeasuredTimes(1, 500, 0, 0), new MeasuredTimes(2, 300, 0, 0));
    Profile.LinearFit flat = LayerFits.fit(falling, MeasuredTimes::forwardNanos);
    assertThat(flat.perSampleNanos()).isZero();
    assertThat(flat.fixedNanos()).isEqualTo(400);
    Profile.LinearFit single =
        LayerFits.fit(List.of(new MeasuredTimes(4, 800, 0, 0)), MeasuredTimes::forwardNanos);
    assertThat(single.nanosAt(8)).isEqualTo(1600);
  }

  @Test
  void layerProfileFitsEachActionAndTheProgressLineShowsTheLargestSize() {
    Profile.LayerProfile p =
        LayerFits.layerProfile(
            "block1",
            List.of(
                new MeasuredTimes(1, 1_000_000, 2_000_000, 500_000),
                new MeasuredTimes(2, 2_000_000, 3_000_000, 700_000)));
    assertThat(p.forward().perSampleNanos()).isCloseTo(1_000_000, Assertions.within(1e-3));
    assertThat(p.backwardInput().fixedNanos()).isCloseTo(1_000_000, Assertions.within(1e-3));
    assertThat(p.backwardWeight().perSampleNanos()).isCloseTo(200_000, Assertions.within(1e-3));
    assertThat(LayerFits.progressLine(p))
        .isEqualTo("block1: b=2 F 2.000 ms, I 3.000 ms, W 0.700 ms");
  }

  @Test
  void medianIsTheLowerMiddleValue() {
    assertThat(LayerFits.median(new long[] {5, 1, 3})).isEqualTo(3);
    assertThat(LayerFits.median(new long[] {4, 1, 3, 2})).isEqualTo(2);
  }
}
