package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import org.junit.jupiter.api.Test;

/** A hand-edited profile is held to the limits of a model file's measured times. */
class ProfileLimitsTest {
  private static String profile(String layerForward, String extra) {
    return "{\"backend\": \"cpu\", \"machine\": \"m\", \"modelName\": \"t\","
        + " \"handoffLatencyNanos\": 1000, \"handoffBytesPerSecond\": 1e12"
        + extra
        + ", \"layers\": ["
        + layer("l0", layerForward)
        + "]}";
  }

  private static String layer(String name, String forward) {
    String flat = "{\"fixedNanos\": 100, \"perSampleNanos\": 10}";
    return "{\"layerName\": \""
        + name
        + "\", \"samples\": [], \"forward\": "
        + forward
        + ", \"backwardInput\": "
        + flat
        + ", \"backwardWeight\": "
        + flat
        + "}";
  }

  private static final String FLAT = "{\"fixedNanos\": 100, \"perSampleNanos\": 10}";

  @Test
  void aProfileWithinTheLimitsReads() {
    assertThat(
            ProfileJson.read(profile(FLAT, ", \"sequenceLength\": 2048"), "p.json")
                .sequenceLength())
        .isEqualTo(2048);
  }

  @Test
  void aTimeBeyondTenToTheNineMillisecondsIsRefusedWithItsField() {
    assertThatThrownBy(
            () ->
                ProfileJson.read(
                    profile("{\"fixedNanos\": 100, \"perSampleNanos\": 1e300}", ""), "p.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("p.json")
        .hasMessageContaining("layers[0].forward")
        .hasMessageContaining("perSampleNanos must be finite and within +-1.0E15 ns")
        .hasMessageContaining("1.0E300");
    assertThatThrownBy(
            () ->
                ProfileJson.read(
                    profile("{\"fixedNanos\": -2e15, \"perSampleNanos\": 1e15}", ""), "p.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("fixedNanos");
  }

  @Test
  void theSequenceLengthIsAWholeNumberWithinTheModelLimit() {
    assertThatThrownBy(
            () -> ProfileJson.read(profile(FLAT, ", \"sequenceLength\": 99999999"), "p.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("sequenceLength must be at most 4194304, got 99999999");
    assertThatThrownBy(
            () -> ProfileJson.read(profile(FLAT, ", \"sequenceLength\": \"64\""), "p.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("field 'sequenceLength': must be a whole number")
        .hasMessageContaining("\"64\"");
    assertThatThrownBy(
            () -> ProfileJson.read(profile(FLAT, ", \"sequenceLength\": 64.5"), "p.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("must be a whole number")
        .hasMessageContaining("64.5");
  }

  @Test
  void theHandOffBandwidthIsAtLeastOneMegabytePerSecond() {
    String slow =
        profile(FLAT, "")
            .replace("\"handoffBytesPerSecond\": 1e12", "\"handoffBytesPerSecond\": 1e-300");
    assertThatThrownBy(() -> ProfileJson.read(slow, "p.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("p.json")
        .hasMessageContaining("handoffBytesPerSecond must be finite and at least 1000000.0")
        .hasMessageContaining("1.0E-300");
  }

  @Test
  void aLayerProfiledTwiceIsRefused() {
    String twice =
        "{\"backend\": \"cpu\", \"machine\": \"m\", \"modelName\": \"t\","
            + " \"handoffLatencyNanos\": 1000, \"handoffBytesPerSecond\": 1e12, \"layers\": ["
            + layer("l0", FLAT)
            + ", "
            + layer("l0", FLAT)
            + "]}";
    assertThatThrownBy(() -> ProfileJson.read(twice, "p.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("p.json")
        .hasMessageContaining("layers name 'l0' twice");
  }
}
