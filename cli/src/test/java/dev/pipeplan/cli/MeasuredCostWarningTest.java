package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.ProfileJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kernel choices the roofline times but a profile's measured times already contain. */
class MeasuredCostWarningTest {
  @TempDir Path dir;

  private Path profile() {
    ModelSpec model = ModelLoader.load("gpt-tiny");
    List<Profile.LayerProfile> layers = new ArrayList<>();
    Profile.LinearFit fit = new Profile.LinearFit(20_000, 300_000);
    for (int i = 0; i < model.layerCount(); i++) {
      layers.add(new Profile.LayerProfile(model.layer(i).name(), List.of(), fit, fit, fit));
    }
    Path file = dir.resolve("profile.json");
    ProfileJson.write(file, new Profile(model.name(), "cpu", "test", layers, 20_000, 1e12));
    return file;
  }

  private static String stderr(String... args) {
    StringWriter err = new StringWriter();
    int code = Main.execute(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err));
    assertThat(code).as(err.toString()).isZero();
    return err.toString();
  }

  @Test
  void planAndSimulateSayThatAttentionAndCrossEntropyChangeOnlyTheMemory() {
    String profile = profile().toString();
    String plan =
        stderr(
            "plan",
            "--model",
            "gpt-tiny",
            "--cluster",
            "cpu:1x2",
            "--global-batch",
            "16",
            "--pp",
            "2",
            "--profile",
            profile,
            "--quiet",
            "--attention",
            "eager",
            "--cross-entropy",
            "fused");
    assertThat(plan)
        .contains(
            "warning: the durations are the profile's measured times, which --attention eager and"
                + " --cross-entropy fused do not change; they change the memory only.");
    String simulate =
        stderr(
            "simulate",
            "--model",
            "gpt-tiny",
            "--cluster",
            "cpu:1x2",
            "--pp",
            "2",
            "--microbatches",
            "4",
            "--schedule",
            "1f1b",
            "--profile",
            profile,
            "--cross-entropy",
            "fused");
    assertThat(simulate).contains("which --cross-entropy fused does not change; it changes");
  }

  @Test
  void theDefaultsAndTheAnalyticCostsDoNotWarn() {
    String profile = profile().toString();
    assertThat(
            stderr(
                "plan",
                "--model",
                "gpt-tiny",
                "--cluster",
                "cpu:1x2",
                "--global-batch",
                "16",
                "--pp",
                "2",
                "--profile",
                profile,
                "--quiet"))
        .doesNotContain("measured times");
    assertThat(
            stderr(
                "plan",
                "--model",
                "gpt-tiny",
                "--cluster",
                "cpu:1x2",
                "--global-batch",
                "16",
                "--pp",
                "2",
                "--quiet",
                "--attention",
                "eager",
                "--cross-entropy",
                "fused"))
        .doesNotContain("measured times");
  }
}
