package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.ProfileJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kernel choices the roofline times but a profile's measured times already contain. */
class MeasuredCostWarningTest {
  private static final String PLAN = "plan --model gpt-tiny --cluster cpu:1x2 --global-batch 16";

  @TempDir Path dir;

  private String profile() {
    Path file = dir.resolve("profile.json");
    ProfileJson.write(file, TestProfiles.flat("gpt-tiny", new Profile.LinearFit(20_000, 300_000)));
    return file.toString();
  }

  /** The command's stderr; it must succeed. */
  private static String stderr(String commandLine) {
    StringWriter err = new StringWriter();
    int code =
        Main.execute(
            commandLine.split(" "),
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err));
    assertThat(code).as(err.toString()).isZero();
    return err.toString();
  }

  @Test
  void planAndSimulateSayThatAttentionAndCrossEntropyChangeOnlyTheMemory() {
    String profile = profile();
    assertThat(
            stderr(
                PLAN
                    + " --pp 2 --quiet --profile "
                    + profile
                    + " --attention eager --cross-entropy fused"))
        .contains(
            "warning: the durations are the profile's measured times, which --attention eager and"
                + " --cross-entropy fused do not change; they change the memory only.");
    assertThat(
            stderr(
                "simulate --model gpt-tiny --cluster cpu:1x2 --pp 2 --microbatches 4 --schedule 1f1b"
                    + " --profile "
                    + profile
                    + " --cross-entropy fused"))
        .contains("which --cross-entropy fused does not change; it changes the memory only.");
  }

  @Test
  void planAndSimulateSayThatFlashAttention2ChangesNothingWithMeasuredTimes() {
    // flash2 is flash's memory at another speed: with measured times it was taken without a word
    String profile = profile();
    String warning =
        "warning: the durations are the profile's measured times, which --attention flash2 does"
            + " not change, and its memory is flash's: it changes nothing here.";
    assertThat(stderr(PLAN + " --pp 2 --quiet --profile " + profile + " --attention flash2"))
        .contains(warning);
    assertThat(
            stderr(
                "simulate --model gpt-tiny --cluster cpu:1x2 --pp 2 --microbatches 4 --schedule 1f1b"
                    + " --profile "
                    + profile
                    + " --attention flash2"))
        .contains(warning);
    assertThat(stderr(PLAN + " --pp 2 --quiet --attention flash2"))
        .doesNotContain("measured times");
  }

  @Test
  void theDefaultsAndTheAnalyticCostsDoNotWarn() {
    assertThat(stderr(PLAN + " --pp 2 --quiet --profile " + profile()))
        .doesNotContain("measured times");
    assertThat(stderr(PLAN + " --pp 2 --quiet --attention eager --cross-entropy fused"))
        .doesNotContain("measured times");
  }
}
