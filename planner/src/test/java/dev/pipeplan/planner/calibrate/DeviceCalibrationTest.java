package dev.pipeplan.planner.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceEfficiency;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.search.Evaluation;
import dev.pipeplan.simulator.cost.roofline.RooflineParameters;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceCalibrationTest {
  private static final Path PUBLISHED = Path.of("..", "scripts", "validation-runs.json");

  @Test
  void fittingThePublishedRunsReproducesThePresetsEfficiencies() {
    List<TrainingRun> runs = TrainingRuns.read(PUBLISHED);
    for (String device : List.of("h100-sxm", "a100-80gb")) {
      DeviceEfficiency preset = RooflineParameters.fitted().get(device);
      DeviceEfficiency fitted = DeviceCalibration.fit(runs, device, "test").fitted();
      assertThat(fitted.peakGemmEfficiency())
          .as(device + " GEMM")
          .isCloseTo(preset.peakGemmEfficiency(), within(0.0006));
      assertThat(fitted.hbmEfficiency())
          .as(device + " HBM")
          .isCloseTo(preset.hbmEfficiency(), within(0.0006));
      assertThat(fitted.flashForwardEfficiency())
          .as(device + " attention")
          .isCloseTo(preset.flashForwardEfficiency(), within(0.0006));
    }
  }

  @Test
  void recoversTheEfficienciesThatMadeSyntheticMeasurements() {
    // "Measurements" predicted with known efficiencies; the fit must find its way back to them
    // from the prior and leave every run within a fraction of a percent.
    DeviceEfficiency truth = new DeviceEfficiency(0.62, 0.70, 0.55, 0.55 * 0.55 / 0.65, "truth");
    List<TrainingRun> runs = new ArrayList<>();
    int i = 0;
    for (int seq : new int[] {512, 1024, 2048}) {
      for (int b : new int[] {1, 4}) {
        TrainingRun shape = run("s" + i++, seq, b, 1.0);
        double seconds =
            DeviceCalibration.predict(
                        shape, truth, new DeviceCalibration.Choice(ScheduleKind.ONE_F_ONE_B, 1, b))
                    .iterationNanos()
                / 1e9;
        runs.add(run(shape.id(), seq, b, seconds));
      }
    }
    DeviceCalibration.Fit fit = DeviceCalibration.fit(runs, "a100-80gb", "test");
    assertThat(fit.priorMedianAbsError()).isGreaterThan(0.05);
    assertThat(fit.fittedMaxAbsError()).isLessThan(0.01);
    assertThat(fit.fitted().peakGemmEfficiency()).isCloseTo(0.62, within(0.03));
    // Attention is a small part of these runs: the prior keeps most of its say there, so the fit
    // lands between the truth and the prior.
    assertThat(fit.fitted().flashForwardEfficiency()).isBetween(0.55 - 0.01, 0.65 + 0.01);
  }

  @Test
  void aSoundFitHasNoWarnings() {
    List<TrainingRun> runs = List.of(run("a", 1024, 1, 1.0), run("b", 2048, 4, 1.0));
    DeviceEfficiency prior = RooflineParameters.prior("a100-80gb").efficiency();
    List<TrainingRun> measured = new ArrayList<>();
    for (TrainingRun r : runs) {
      double seconds =
          DeviceCalibration.predict(
                      r,
                      prior,
                      new DeviceCalibration.Choice(
                          ScheduleKind.ONE_F_ONE_B, 1, r.microBatchSize().getAsInt()))
                  .iterationNanos()
              / 1e9;
      measured.add(
          run(r.id(), r.training().sequenceLength(), r.microBatchSize().getAsInt(), seconds));
    }
    assertThat(DeviceCalibration.fit(measured, "a100-80gb", "test").warnings()).isEmpty();
  }

  @Test
  void aRunMeasuredAbsurdlyFastEndsTheFitOnTheUpperBoundAndIsNamed() {
    List<TrainingRun> runs = List.of(run("typo", 1024, 1, 1e-9), run("fine", 2048, 4, 1.0));
    DeviceCalibration.Fit fit = DeviceCalibration.fit(runs, "a100-80gb", "test");
    assertThat(fit.fitted().peakGemmEfficiency()).isEqualTo(1.0);
    assertThat(fit.warnings())
        .anySatisfy(
            w -> assertThat(w).startsWith("GEMM (of peak) efficiency fitted to its upper bound"))
        .anySatisfy(
            w ->
                assertThat(w)
                    .startsWith("run typo: predicted")
                    .contains("measured 1.000e-09 s, a factor of"));
  }

  @Test
  void aRunMeasuredAbsurdlySlowStopsAtTheLowerBoundInsteadOfOverflowing() {
    // 1e300 s once drove the efficiencies towards 0 until a predicted time overflowed 64 bits
    List<TrainingRun> runs = List.of(run("slow", 1024, 1, 1e300));
    DeviceCalibration.Fit fit = DeviceCalibration.fit(runs, "a100-80gb", "test");
    assertThat(fit.fitted().peakGemmEfficiency()).isEqualTo(DeviceCalibration.MIN_EFFICIENCY);
    assertThat(fit.rows().get(0).fittedSeconds()).isPositive().isFinite();
    assertThat(fit.warnings())
        .anySatisfy(w -> assertThat(w).contains("lower bound 0.010"))
        .anySatisfy(
            w -> assertThat(w).startsWith("run slow: predicted").contains("measured 1.000e+300 s"));
  }

  @Test
  void runsFromOneTruthArePredictedFromTheOtherRuns() {
    DeviceEfficiency truth = new DeviceEfficiency(0.6, 0.8, 0.6, 0.5, "truth");
    List<TrainingRun> runs = new ArrayList<>();
    int i = 0;
    for (int seq : new int[] {512, 2048}) {
      for (int b : new int[] {1, 4}) {
        TrainingRun shape = run("s" + i++, seq, b, 1.0);
        double seconds =
            DeviceCalibration.predict(
                        shape, truth, new DeviceCalibration.Choice(ScheduleKind.ONE_F_ONE_B, 1, b))
                    .iterationNanos()
                / 1e9;
        runs.add(run(shape.id(), seq, b, seconds));
      }
    }
    List<Double> heldOut =
        DeviceCalibration.leaveOneOutErrors(DeviceCalibration.fit(runs, "a100-80gb", "test"));
    assertThat(heldOut).hasSize(runs.size());
    assertThat(heldOut).allSatisfy(e -> assertThat(Math.abs(e)).isLessThan(0.02));
    assertThat(
            DeviceCalibration.leaveOneOutErrors(
                DeviceCalibration.fit(runs.subList(0, 1), "a100-80gb", "test")))
        .isEmpty();
  }

  @Test
  void aSearchMessageSpeaksOfTheRunsFieldsAndNamesCpAndTheSequenceAmongThem() {
    String message =
        DeviceCalibration.inFileTerms(
            "--cp 8 splits each sequence into 2 x cp = 16 chunks, but the sequence length 32760"
                + " is not a multiple of 16. Maybe use --seq 32752 or a --cp whose double divides"
                + " 32760.");
    assertThat(message)
        .startsWith("cp 8 splits each sequence")
        .endsWith(
            " Check the run's tp, pp, cp, microBatchSize, globalBatch, sequenceLength, schedule"
                + " and virtualStages against its source.")
        .doesNotContain("--");
  }

  @Test
  void aDeviceNoRunUsedIsNamedWithTheDevicesTheRunsUsed() {
    List<TrainingRun> runs = List.of(run("a", 1024, 1, 1.0));
    assertThatThrownBy(() -> DeviceCalibration.fit(runs, "v100", "test"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("v100")
        .hasMessageContaining("a100-80gb");
  }

  @Test
  void aBadRunNamesItsFieldAndAnUnknownFieldGetsASuggestion(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("runs.json");
    Files.writeString(
        file,
        "{\"runs\": [{\"id\": \"x\", \"model\": \"gpt2-small\", \"cluster\": \"a100:1x8\","
            + " \"tp\": 1, \"pp\": 1, \"microBatchSize\": 1, \"globalBatch\": 8,"
            + " \"sequenceLength\": 1024, \"iterationSeconds\": -2}]}");
    assertThatThrownBy(() -> TrainingRuns.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("iterationSeconds")
        .hasMessageContaining("-2");
    Files.writeString(
        file,
        "{\"runs\": [{\"id\": \"x\", \"model\": \"gpt2-small\", \"cluster\": \"a100:1x8\","
            + " \"tp\": 1, \"pp\": 1, \"microBatchSize\": 1, \"globalBatch\": 8,"
            + " \"sequenceLenght\": 1024, \"iterationSeconds\": 2}]}");
    assertThatThrownBy(() -> TrainingRuns.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("sequenceLenght")
        .hasMessageContaining("sequenceLength");
  }

  @Test
  void aPublishedVirtualStageCountHoldsForTheListedKindsThatTakeIt(@TempDir Path dir)
      throws Exception {
    // llama2-7b: 32 blocks; pp 2 × v 4 = 8 equal chunks of 4. 1f1b cannot take v = 4, so the run
    // was interleaved; the choice must not fail on 1f1b, even where nothing fits pipeplan's memory
    // model (b = 64 at 4096 tokens) and the choice is made again with the memory check lifted.
    Path file = dir.resolve("runs.json");
    String run =
        "{\"runs\": [{\"id\": \"x\", \"model\": \"llama2-7b\", \"cluster\": \"a100:2x8\","
            + " \"tp\": 8, \"pp\": 2, \"microBatchSize\": 64, \"globalBatch\": 128,"
            + " \"sequenceLength\": 4096, \"schedule\": \"%s\", \"virtualStages\": %d,"
            + " \"stageBlocks\": \"equal\", \"iterationSeconds\": 2}]}";
    Files.writeString(file, String.format(run, "1f1b,interleaved", 4));
    TrainingRun listed = TrainingRuns.read(file).get(0);
    Evaluation chosen =
        DeviceCalibration.choose(listed, RooflineParameters.prior("a100-80gb").efficiency());
    assertThat(chosen.candidate().kind()).isEqualTo(ScheduleKind.INTERLEAVED_1F1B);
    assertThat(chosen.candidate().virtualStages()).isEqualTo(4);

    // A v that no listed kind takes, and one the block split cannot fill, name their field.
    Files.writeString(file, String.format(run, "1f1b,zb-h1", 4));
    assertThatThrownBy(() -> TrainingRuns.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("runs[0].virtualStages (4)")
        .hasMessageContaining("1f1b takes v = 1");
    Files.writeString(file, String.format(run, "1f1b,interleaved", 3));
    assertThatThrownBy(() -> TrainingRuns.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("runs[0].stageBlocks")
        .hasMessageContaining("32 blocks")
        .hasMessageContaining("6 chunks");
  }

  @Test
  void blockRulesSplitTheBlocksAndGiveTheEndsTheirLayers() {
    ModelSpec llama = ModelLoader.load("llama2-7b", 4096); // embedding, 32 blocks, head
    int lead = 0;
    while (llama.layer(lead).kind() != dev.pipeplan.models.LayerKind.TRANSFORMER_BLOCK) {
      lead++;
    }
    int tail = llama.layerCount() - lead - 32;
    List<Integer> even = new StageBlocks.Even().partition(llama, 6).layerCounts();
    assertThat(even).containsExactly(6 + lead, 6, 5, 5, 5, 5 + tail);
    List<Integer> ends = new StageBlocks.LighterEnds().partition(llama, 4).layerCounts();
    // 34 blocks over 4 chunks: 9, 9, 8, 8; one fewer at each end.
    assertThat(ends).containsExactly(8 + lead, 9, 8, 7 + tail);
    assertThatThrownBy(() -> StageBlocks.parse("10,10,10").partition(llama, 4))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("3 chunks")
        .hasMessageContaining("4");
    assertThatThrownBy(() -> StageBlocks.parse("10,10,10,1").partition(llama, 4))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("31 blocks");
    // Megatron's equal split: 32 blocks over 8 chunks, but not over 6.
    assertThat(StageBlocks.parse("equal").partition(llama, 8).layerCounts())
        .containsExactly(4 + lead, 4, 4, 4, 4, 4, 4, 4 + tail);
    assertThatThrownBy(() -> StageBlocks.parse("equal").partition(llama, 6))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("32 blocks")
        .hasMessageContaining("6 chunks");
  }

  @Test
  void anUnpublishedMicroBatchSizeIsTheFastestThatFits() {
    // gpt3-1.3b on 8 A100s, 64 sequences: b open. The choice must fit and beat b = 1.
    TrainingRun shape = run("open", 2048, 1, 1.0);
    TrainingRun open =
        new TrainingRun(
            "open",
            "synthetic",
            "",
            shape.model(),
            new TrainingSpec(64, 2048, DType.FP16, Optimizer.adamMixedPrecision(), false)
                .withMemoryModes(Recompute.NONE, Attention.FLASH, OptimizerSharding.ZERO1, false),
            shape.cluster(),
            1,
            1,
            OptionalInt.empty(),
            List.of(ScheduleKind.ONE_F_ONE_B),
            OptionalInt.empty(),
            Optional.empty(),
            1.0);
    DeviceEfficiency prior = RooflineParameters.prior("a100-80gb").efficiency();
    Evaluation chosen = DeviceCalibration.choose(open, prior);
    assertThat(chosen.fits()).isTrue();
    double one =
        DeviceCalibration.predict(
                open, prior, new DeviceCalibration.Choice(ScheduleKind.ONE_F_ONE_B, 1, 1))
            .iterationNanos();
    assertThat((double) chosen.iterationNanos()).isLessThan(one);
    assertThat(chosen.candidate().microBatchSize()).isGreaterThan(1);
  }

  private static TrainingRun run(String id, int seq, int b, double seconds) {
    ModelSpec model = ModelLoader.load("gpt3-1.3b", seq);
    TrainingSpec training =
        new TrainingSpec(8 * b * 2, seq, DType.FP16, Optimizer.adamMixedPrecision(), false)
            .withMemoryModes(Recompute.NONE, Attention.FLASH, OptimizerSharding.ZERO1, false);
    return new TrainingRun(
        id,
        "synthetic",
        "",
        model,
        training,
        Clusters.load("a100-80gb:1x8"),
        1,
        1,
        OptionalInt.of(b),
        List.of(ScheduleKind.ONE_F_ONE_B),
        OptionalInt.empty(),
        Optional.empty(),
        seconds);
  }
}
