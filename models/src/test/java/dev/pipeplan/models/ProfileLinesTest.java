package dev.pipeplan.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProfileLinesTest {
  private static final Profile.LinearFit FIT = new Profile.LinearFit(1_000, 500);
  private static final List<MeasuredTimes> SAMPLES =
      List.of(new MeasuredTimes(1, 1_500, 1_500, 1_500), new MeasuredTimes(4, 3_000, 3_000, 3_000));

  @Test
  void aLineBelowZeroWhereItWasMeasuredIsRefusedNamingTheLayerAndAction() {
    Profile.LinearFit negative = new Profile.LinearFit(-1e9, 500);
    assertThatThrownBy(() -> new Profile.LayerProfile("block.3", SAMPLES, FIT, negative, FIT))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("block.3")
        .hasMessageContaining("backwardInput")
        .hasMessageContaining("micro-batch size 4");
  }

  @Test
  void aLineThatDipsBelowZeroOnlyBeforeItsSamplesIsKeptAndClamped() {
    // a steep line fitted through b = 4 and 8 crosses zero below b = 1
    Profile.LinearFit steep = new Profile.LinearFit(-200, 1_000);
    List<MeasuredTimes> large =
        List.of(
            new MeasuredTimes(4, 3_800, 3_800, 3_800), new MeasuredTimes(8, 7_800, 7_800, 7_800));
    Profile.LayerProfile layer = new Profile.LayerProfile("block.0", large, steep, steep, steep);
    assertThat(layer.forward().nanosAt(4)).isEqualTo(3_800);
    assertThat(new Profile.LinearFit(-2_000, 1_000).nanosAt(1)).isZero();
  }
}
