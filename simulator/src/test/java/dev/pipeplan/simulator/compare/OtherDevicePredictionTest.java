package dev.pipeplan.simulator.compare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.Provenance;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A CPU run of a plan priced for GPUs is marked: its error is the gap between the devices, not a
 * model error (before, {@code run} compared a CPU's times with an H100's and said nothing).
 */
class OtherDevicePredictionTest {
  private static final String H100_COSTS =
      "analytic roofline; h100-sxm: GEMM 0.523, HBM 0.594, attention 0.562/0.401 (fitted by"
          + " pipeplan calibrate to the 11 h100-sxm runs of scripts/validation-runs.json)";
  private static final String CPU_COSTS =
      "analytic roofline; cpu: GEMM 0.800, HBM 0.900, attention 0.500/0.500 (preset)";
  private static final String PROFILE_COSTS =
      "measured profile of gpt-tiny on processor: AMD EPYC; cores: 2 (sha256 00ff)";

  private static MeasuredRun planned(String costSource, String cluster) {
    return RunJsonTest.run().withProvenance(new Provenance("0.1", costSource, "pp 2", cluster));
  }

  @Test
  void aCpuRunOfAPlanPricedForAGpuIsMarkedInTheRunFileAndTheText() {
    MeasuredRun run = planned(H100_COSTS, "h100:1x2");

    assertThat(run.predictedForAnotherDevice()).isTrue();
    assertThat(run.comparisonWarnings())
        .containsExactly(
            "the prediction is for h100-sxm (the plan's analytic costs for cluster h100:1x2), not"
                + " this machine's CPU: the error is the difference between the devices, not a"
                + " model error. Maybe plan with a CPU profile: pipeplan profile --model gpt-tiny"
                + " -o profile.json, then plan again with --cluster cpu:1x2 --pp 2 --profile"
                + " profile.json");
    String json = RunJson.write(run);
    assertThat(json)
        .contains("\"predictedForAnotherDevice\" : true")
        .contains("\"warning\" : \"the prediction is for h100-sxm");
    assertThat(RunJson.read(json)).isEqualTo(run);
    assertThat(ComparisonText.lines(run)).contains("WARNING: " + run.comparisonWarnings().get(0));
  }

  @Test
  void plansPricedForTheCpuFromAProfileOrWithoutProvenanceAreNotMarked() {
    for (MeasuredRun run :
        List.of(
            planned(CPU_COSTS, "cpu:1x2"), planned(PROFILE_COSTS, "h100:1x2"), RunJsonTest.run())) {
      assertThat(run.predictedForAnotherDevice()).as(run.provenance().costSource()).isFalse();
      assertThat(run.comparisonWarnings()).isEmpty();
      assertThat(RunJson.write(run))
          .contains("\"predictedForAnotherDevice\" : false")
          .contains("\"warning\" : \"\"");
    }
  }

  @Test
  void onlyACpuRunIsComparedWithTheDevice() {
    assertThat(
            MeasuredRun.otherDevicePrediction(
                "cuda", "gpt-tiny", 2, new Provenance("0.1", H100_COSTS, "pp 2", "h100:1x2")))
        .isEmpty();
  }
}
