package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ProfileJson;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.planner.calibrate.DeviceCalibration;
import dev.pipeplan.planner.calibrate.TrainingRun;
import dev.pipeplan.planner.calibrate.TrainingRuns;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunJson;
import dev.pipeplan.simulator.compare.RunNoise;
import dev.pipeplan.simulator.cost.roofline.RooflineParameters;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrateCommandTest {
  @TempDir Path dir;

  private int run(StringWriter out, StringWriter err, String... args) {
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void aFittedPresetDeviceKeepsThePresetsMemoryAndLinks() throws Exception {
    // The A100 runs' first cluster is BLOOM's Jean Zay (80 GiB, 4 x 100 Gb/s Omni-Path for 8
    // GPUs); the fitted device file took its node, so a plan on it had neither the preset's
    // usable 78 GiB nor its InfiniBand.
    Path fitted = dir.resolve("a100-fitted.json");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        run(
            out,
            err,
            "calibrate",
            "--measurements",
            Path.of("..", "scripts", "validation-runs.json").toString(),
            "--device",
            "a100-80gb",
            "-o",
            fitted.toString());
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains(":NODESx8; the a100-80gb preset's memory and links, the fitted efficiencies");
    ClusterSpec cluster = Clusters.load(fitted + ":2x8");
    ClusterSpec preset = Clusters.load("a100-80gb:2x8");
    assertThat(cluster.device(0).memoryBytes()).isEqualTo(preset.device(0).memoryBytes());
    assertThat(cluster.interNodeLink()).isEqualTo(preset.interNodeLink());
    assertThat(cluster.intraNodeLink()).isEqualTo(preset.intraNodeLink());
    assertThat(cluster.device(0).efficiency().peakGemmEfficiency())
        .isCloseTo(
            RooflineParameters.fitted().get("a100-80gb").peakGemmEfficiency(), within(0.0006));
  }

  @Test
  void calibratedProfileMakesPlanPredictWhatTheRunMeasured() throws Exception {
    Path profile = dir.resolve("profile.json");
    ProfileJson.write(
        profile, TestProfiles.flat("gpt-tiny", new Profile.LinearFit(20_000, 300_000)));
    Path planFile = dir.resolve("plan.json");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] plan = {
      "plan",
      "--model",
      "gpt-tiny",
      "--cluster",
      "cpu:1x2",
      "--global-batch",
      "16",
      "--pp",
      "2",
      "--microbatches",
      "4",
      "--schedules",
      "zb-h1",
      "--profile",
      profile.toString(),
      "--quiet",
      "-o",
      planFile.toString()
    };
    assertThat(run(out, err, plan)).as(err.toString()).isZero();
    Plan p = PlanJson.read(planFile);
    // a run in which every forward took twice its predicted time, the rest as predicted
    Timeline predicted = PlanPrediction.predict(p).timeline();
    List<TimedAction> actions = new ArrayList<>();
    for (TimedAction a : predicted.actions()) {
      long d = a.durationNanos() * (a.action().type() == ActionType.F ? 2 : 1);
      actions.add(new TimedAction(a.device(), a.action(), a.startNanos(), a.startNanos() + d));
    }
    Timeline measured =
        new Timeline(Timeline.MEASURED, predicted.scheduleName(), 2, actions, List.of(), List.of());
    Path runFile = dir.resolve("run.json");
    RunJson.write(
        runFile,
        new MeasuredRun(
            "gpt-tiny",
            "zb-h1",
            2,
            1,
            4,
            p.microBatchSize(),
            p.partition().toString(),
            predicted,
            List.of(measured),
            0,
            List.of(1.0),
            0,
            "cpu",
            "test",
            "test",
            1L,
            List.of(),
            RunNoise.unknown(),
            Provenance.unrecorded(),
            0));

    Path calibrated = dir.resolve("out").resolve("calibrated.json");
    out = new StringWriter();
    int code =
        run(
            out,
            err,
            "calibrate",
            "--run",
            runFile.toString(),
            "--profile",
            profile.toString(),
            "-o",
            calibrated.toString());
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains("transformer_block")
        .contains("(wall time: every run was quiet)")
        .contains("before: ")
        .contains("after:  ")
        .contains("created folder")
        .contains("wrote " + calibrated);
    Profile fitted = ProfileJson.read(calibrated);
    assertThat(fitted.layers().get(1).forward().perSampleNanos())
        .isCloseTo(600_000, within(6_000.0));
    assertThat(fitted.layers().get(1).backwardInput().perSampleNanos())
        .isCloseTo(300_000, within(3_000.0));
    assertThat(fitted.calibration()).isNotEmpty();
    // plan reads the calibrated profile
    Path replanned = dir.resolve("replanned.json");
    String[] again = plan.clone();
    again[again.length - 1] = replanned.toString();
    again[14] = calibrated.toString();
    assertThat(run(new StringWriter(), err, again)).as(err.toString()).isZero();
    assertThat(Files.exists(replanned)).isTrue();
    assertThat(PlanJson.read(replanned).predicted().pipelineNanos())
        .isGreaterThan(p.predicted().pipelineNanos());
  }

  @Test
  void theCheckTableKeepsItsColumnsForAnyTimeAndError() throws Exception {
    // a week measured against predictions from a microsecond to 1e300 s: the seconds and error
    // columns once printed 300 digits and pushed the plan column off
    Path file = dir.resolve("runs.json");
    Files.writeString(
        file,
        "{\"runs\": [{\"id\": \"r1\", \"model\": \"gpt2-small\", \"cluster\": \"a100:1x8\","
            + " \"tp\": 1, \"pp\": 1, \"microBatchSize\": 1, \"globalBatch\": 8,"
            + " \"sequenceLength\": 1024, \"iterationSeconds\": 604800}]}");
    TrainingRun run = TrainingRuns.read(file).get(0);
    DeviceCalibration.Choice choice = new DeviceCalibration.Choice(ScheduleKind.ONE_F_ONE_B, 1, 1);
    List<DeviceCalibration.Prediction> predictions = new ArrayList<>();
    for (double seconds : new double[] {1e-6, 1e-3, 1000, 604800, 1e7, 1e300}) {
      predictions.add(new DeviceCalibration.Prediction(run, seconds, choice, 8, true));
    }
    StringWriter out = new StringWriter();
    CalibrateCommand.printCheck(new PrintWriter(out, true), "a100-80gb", predictions);
    List<String> lines = out.toString().lines().toList();
    int planColumn = lines.get(2).indexOf("plan");
    assertThat(lines.subList(3, 3 + predictions.size()))
        .allSatisfy(line -> assertThat(line.indexOf("tp=1")).as(line).isEqualTo(planColumn));
    assertThat(lines.get(3)).contains("604800.000", "1.000e-06", "+6e+13%");
    assertThat(lines.get(5)).contains("604800.000", "1000.000", "+60380%");
    assertThat(lines.get(6)).contains("+0.0%");
    assertThat(lines.get(8)).contains("1.000e+300", "-100.0%");
    assertThat(lines.get(lines.size() - 1)).isEqualTo("median |error|: 30240%, max 6e+13%");
  }

  @Test
  void errorsAndSecondsHaveBoundedWidths() {
    for (double e = 1e-300; e < 1e300; e *= 7.3) {
      assertThat(CalibrateCommand.seconds(e)).as("%s s", e).hasSizeLessThanOrEqualTo(12);
      assertThat(CalibrateCommand.error(e)).as("error %s", e).hasSizeLessThanOrEqualTo(8);
      assertThat(CalibrateCommand.error(-e / (1 + e)))
          .as("error -%s", e)
          .hasSizeLessThanOrEqualTo(8);
      assertThat(CalibrateCommand.percent(e)).as("|error| %s", e).hasSizeLessThanOrEqualTo(7);
    }
    assertThat(CalibrateCommand.error(0.061)).isEqualTo("+6.1%");
    assertThat(CalibrateCommand.error(-0.267)).isEqualTo("-26.7%");
    assertThat(CalibrateCommand.percent(0.061)).isEqualTo("6.1%");
    assertThat(CalibrateCommand.seconds(2.177)).isEqualTo("2.177");
  }
}
