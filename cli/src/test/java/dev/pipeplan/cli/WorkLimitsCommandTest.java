package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Huge, negative and overflowing sizes on plan, simulate and schedule (issue 12): exit 2 at once,
 * one message naming the option, its value and the limit, no stack trace.
 */
class WorkLimitsCommandTest {
  /** Issue 12: every hostile command line gives exit 2 within 5 s. */
  private static final Duration QUICKLY = Duration.ofSeconds(5);

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String commandLine) {
    return Main.execute(
        commandLine.split(" "), new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private void assertRefusedQuickly(String commandLine, String... messageParts) {
    int code = assertTimeoutPreemptively(QUICKLY, () -> run(commandLine));
    assertThat(code).as(commandLine + "\n" + err).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(err.toString())
        .startsWith("error: ")
        .contains(messageParts)
        .doesNotContain("\tat ", "Exception");
    assertThat(err.toString().lines().count()).isEqualTo(1);
  }

  @Test
  void scheduleWithAHugePipelineDegreeIsRefused() {
    // before: OutOfMemoryError with a stack trace
    assertRefusedQuickly(
        "schedule --kind 1f1b --pp 100000 --microbatches 8",
        "--pp (100000) is above the limit of 1024 pipeline devices",
        "Maybe use --pp 1024 or fewer");
  }

  @Test
  void scheduleWithHugeMicroBatchesIsRefused() {
    // before: hung until killed
    assertRefusedQuickly(
        "schedule --kind 1f1b --pp 4 --microbatches 100000000",
        "--microbatches (100000000) is above the limit of 1,000,000",
        "Maybe use --microbatches 250000 or fewer");
  }

  @Test
  void simulateWithHugeMicroBatchesIsRefused() {
    // before: hung until killed
    assertRefusedQuickly(
        "simulate --model gpt2-xl --pp 4 --microbatches 10000000 --schedule 1f1b",
        "--microbatches (10000000) is above the limit of 1,000,000");
  }

  @Test
  void simulateWithUniformStagesAndAHugePipelineDegreeIsRefused() {
    // before: 100,003 lines of output
    assertRefusedQuickly(
        "simulate --uniform-stage-ms 1,2 --pp 100000 --microbatches 8 --schedule 1f1b",
        "--pp (100000) is above the limit of 1024");
  }

  @Test
  void simulateSummarisesTheDeviceTableOfALongPipeline() {
    assertThat(run("simulate --uniform-stage-ms 1,2 --pp 64 --microbatches 64 --schedule 1f1b"))
        .isZero();
    assertThat(out.toString())
        .contains("(56 devices not shown; --json or --timeline has them all)", "busiest")
        .contains("    63 ");
    assertThat(out.toString().lines().count()).isLessThan(20);
  }

  @Test
  void planWithAnOverflowingGlobalBatchIsRefused() {
    // before: "failed: long overflow", exit 1 after 14 s
    assertRefusedQuickly(
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch 2000000000",
        "--global-batch (2000000000) is above the limit of 1,048,576 samples");
  }

  @Test
  void simulateWithAnOverflowingSampleCountIsRefused() {
    assertRefusedQuickly(
        "simulate --model gpt2-xl --pp 4 --microbatches 8 --microbatch-size 2000000000"
            + " --schedule 1f1b",
        "--microbatches x --microbatch-size (16000000000) is above the limit of 1,048,576");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch 8 --seq 2000000000",
        "simulate --model llama3-8b --pp 4 --microbatches 8 --schedule 1f1b --seq 2000000000",
      })
  void hugeSequenceLengthsAreRefused(String commandLine) {
    assertRefusedQuickly(commandLine, "2000000000");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch 0",
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch -8",
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch 8 --pp -1",
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch 8 --tp -2",
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch 8 --microbatches -4",
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch 8 --microbatch-size -1",
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch 8 --seq -1",
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch 8 --top 0",
        "simulate --model gpt2-xl --pp 0 --microbatches 8 --schedule 1f1b",
        "simulate --model gpt2-xl --pp -4 --microbatches 8 --schedule 1f1b",
        "simulate --model gpt2-xl --pp 4 --microbatches 0 --schedule 1f1b",
        "simulate --model gpt2-xl --pp 4 --microbatches 8 --microbatch-size 0 --schedule 1f1b",
        "simulate --model gpt2-xl --pp 4 --microbatches 8 --tp -1 --schedule 1f1b",
        "simulate --model gpt2-xl --pp 4 --microbatches 8 --seq -5 --schedule 1f1b",
        "simulate --model gpt2-xl --pp 4 --microbatches 8 --group-size -1 --schedule 1f1b",
        "simulate --model gpt2-xl --pp 4 --microbatches 8 --virtual-stages 0 --schedule 1f1b",
        "schedule --kind 1f1b --pp 0 --microbatches 8",
        "schedule --kind 1f1b --pp 4 --microbatches -3",
        "schedule --kind interleaved --pp 4 --microbatches 8 --virtual-stages -2",
        "schedule --kind interleaved --pp 4 --microbatches 8 --group-size -1",
        "schedule --kind zb-auto --pp 4 --microbatches 8 --max-in-flight -1",
      })
  void zeroAndNegativeSizesAreBadInput(String commandLine) {
    // the one size that is zero or negative, in the message
    String value =
        Arrays.stream(commandLine.split(" "))
            .filter(t -> t.matches("-?\\d+") && Long.parseLong(t) <= 0)
            .findFirst()
            .orElseThrow();
    assertRefusedQuickly(commandLine, value);
    assertThat(err.toString()).containsPattern("(got |\\()" + value);
  }

  @Test
  void planNamesTheOptionOfANegativeFixedDegree() {
    assertRefusedQuickly(
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch 8 --pp -1",
        "--pp must be > 0 (or 0, the default, to search it), got -1.");
  }

  @Test
  void planHelpSaysThatZeroMeansSearchAndListsTheLimits() {
    assertThat(run("plan --help")).isZero();
    assertThat(out.toString())
        .contains("Fix the pipeline degree (default 0: search it)")
        .contains("Fix the micro-batches per replica (default 0: search it)")
        .contains("--global-batch <= 1048576");
    out.getBuffer().setLength(0);
    assertThat(run("schedule --help")).isZero();
    assertThat(out.toString()).contains("--pp <= 1024", "<= 2000000 actions");
    out.getBuffer().setLength(0);
    assertThat(run("simulate --help")).isZero();
    assertThat(out.toString()).contains("--microbatches <= 1000000");
    out.getBuffer().setLength(0);
    // the range that 'demo --iterations 2' is refused with
    assertThat(run("demo --help")).isZero();
    assertThat(out.toString()).contains("Measured iterations, 5 to 1000", "0 to 1000");
  }

  @Test
  void planSaysWhenTheGlobalBatchIsNotDivisible() {
    assertRefusedQuickly(
        "plan --model gpt2-xl --cluster h100:1x4 --global-batch 100 --microbatches 8",
        "global batch (100) is not a multiple of microbatches (8) x dp",
        "Maybe use --global-batch 96 or 104");
    assertThat(err.toString()).doesNotContain("microbatch size 0");
  }

  @Test
  void planStatesTheRuleWithTheDpTheDevicesLeaveAndSuggestsOnlyValuesThatPass() {
    // before: "global batch (16) is not divisible by microbatches (8) x microbatch size (1) x dp
    // ... Maybe use --global-batch 16 or 24 (a multiple of 8), or --microbatches 2, 4 or 8"
    String line =
        "plan --model llama3-8b --cluster h100:2x8 --global-batch 16 --pp 2 --tp 2 --cp 4"
            + " --microbatch-size 1 --microbatches 8";
    assertRefusedQuickly(
        line,
        "global batch (16) must equal microbatches (8) x microbatch size (1) x dp, which is 8 with"
            + " dp 1 (16 devices / (pp 2 x tp 2 x cp 4)). Maybe use --global-batch 8, or"
            + " --microbatches 16, or --microbatch-size 2.");
    assertThat(err.toString()).doesNotContain("divisible", "--global-batch 16", "--microbatches 8");
    for (String fix :
        new String[] {
          line.replace("--global-batch 16", "--global-batch 8"),
          line.replace("--microbatches 8", "--microbatches 16"),
          line.replace("--microbatch-size 1", "--microbatch-size 2")
        }) {
      err.getBuffer().setLength(0);
      assertThat(run(fix + " --quiet")).as(fix + "\n" + err).isZero();
    }
  }

  @Test
  void simulateLimitsThePipelineDevicesAndFitsTpTimesCpInACluster() {
    // before: "--pp x --tp x --cp (1 x 1 x 2048) is above the limit of 1024 devices of one
    // pipeline", a limit on pp alone that 'plan' does not put on tp x cp
    String base =
        "simulate --model llama3-8b --cluster h100:1024x16 --pp 1 --schedule 1f1b --microbatches 1";
    assertThat(run(base + " --cp 2048 --json")).as(err.toString()).isZero();
    assertThat(out.toString()).contains("\"contextParallel\" : 2048");
    assertThat(run(base + " --tp 8 --cp 256")).as(err.toString()).isZero();
    assertThat(
            run(
                "plan --model llama3-8b --cluster h100:1024x16 --pp 1 --cp 2048 --global-batch 1"
                    + " --quiet"))
        .as(err.toString())
        .isZero();
    err.getBuffer().setLength(0);
    assertRefusedQuickly(
        "simulate --model llama3-8b --pp 1 --tp 8 --cp 262144 --schedule 1f1b --microbatches 1",
        "--pp x --tp x --cp (1 x 8 x 262144 = 2097152 devices of one replica) is above the limit"
            + " of 1000000 devices of a cluster. Maybe use a smaller --tp or --cp.");
    err.getBuffer().setLength(0);
    assertRefusedQuickly(
        "simulate --model llama3-8b --cluster h100:1x8 --pp 2 --tp 4 --cp 2 --schedule 1f1b"
            + " --microbatches 2",
        "needs cluster devices 8..15 but cluster 'h100:1x8' has 8 devices");
    err.getBuffer().setLength(0);
    assertRefusedQuickly(
        "simulate --model llama3-8b --pp 1025 --schedule 1f1b --microbatches 2",
        "--pp (1025) is above the limit of 1024 pipeline devices");
    out.getBuffer().setLength(0);
    assertThat(run("simulate --help")).isZero();
    assertThat(out.toString().replaceAll("\\s+", " "))
        .contains(
            "--pp <= 1024, pp x tp x cp (the one replica's devices) <= the cluster's devices, at"
                + " most 1000000,");
  }

  @Test
  void aGlobalBatchBelowTheDevicesIsTheHintWhenPlanChoseM() {
    assertThat(run("plan --model gpt2-xl --cluster h100:1x4 --pp 4 --global-batch 2 --quiet"))
        .isZero();
    assertThat(err.toString())
        .contains("the chosen plan has m = 2 micro-batches for pp = 4")
        .contains("Maybe use --global-batch 4 or more (the one replica gets 2 samples")
        .doesNotContain("--microbatches 4");
  }

  @Test
  void fewerMicroBatchesThanDevicesWarnsAboutTheBubble() {
    assertThat(run("schedule --kind 1f1b --pp 4 --microbatches 2")).isZero();
    assertThat(err.toString())
        .isEqualTo(
            "warning: --microbatches 2 is below --pp 4: the bubble is at least (p-1)/(m+p-1) ="
                + " 60.0% of the iteration. Maybe use --microbatches 4 or more.\n");
    err.getBuffer().setLength(0);
    assertThat(run("simulate --uniform-stage-ms 1,2 --pp 4 --microbatches 3 --schedule gpipe"))
        .isZero();
    assertThat(err.toString()).contains("warning: --microbatches 3 is below --pp 4", "50.0%");
    err.getBuffer().setLength(0);
    // a split backward can fill the wait with W, a V gives the last device the first chunk's
    // twin: zb-v reports 45.45% here, below (p-1)/(m+p-1) = 60%, so no bound is stated
    assertThat(run("simulate --uniform-stage-ms 1,1,1 --pp 4 --microbatches 2 --schedule zb-v"))
        .isZero();
    assertThat(out.toString()).contains("bubble 45.45%");
    assertThat(err.toString())
        .contains("warning: --microbatches 2 is below --pp 4: the pipeline never fills")
        .contains("the zb-v schedule and the stage times")
        .doesNotContain("at least")
        .doesNotContain("60.0%");
    err.getBuffer().setLength(0);
    assertThat(run("simulate --uniform-stage-ms 1,1,1 --pp 4 --microbatches 2 --schedule zb-h1"))
        .isZero();
    assertThat(err.toString()).contains("the pipeline never fills").doesNotContain("at least");
    err.getBuffer().setLength(0);
    assertThat(run("schedule --kind 1f1b --pp 4 --microbatches 4")).isZero();
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void theBubbleWarningSpeaksOfTheChosenPlanWhenThePlannerChoseM() {
    // gpt-tiny on two devices: the planner picks v-half with one micro-batch
    assertThat(run("plan --model gpt-tiny --cluster h100:1x2 --global-batch 8 --pp 2 --quiet"))
        .isZero();
    assertThat(out.toString()).contains("v-half");
    assertThat(err.toString())
        .contains("warning: the chosen plan has m = 1 micro-batch for pp = 2: the pipeline never")
        .doesNotContain("--microbatches 1 is below")
        .doesNotContain("at least")
        // the batch allowed 2 or more: the search found them slower, so no "Maybe use" for them
        .contains("The search chose it over every plan with 2 or more micro-batches")
        .doesNotContain("Maybe use --microbatches");
    err.getBuffer().setLength(0);
    assertThat(
            run(
                "plan --model gpt-tiny --cluster h100:1x4 --global-batch 8 --pp 4 --microbatches 2"
                    + " --schedules 1f1b --quiet"))
        .isZero();
    assertThat(err.toString())
        .contains(
            "warning: --microbatches 2 is below --pp 4: the bubble is at least (p-1)/(m+p-1)");
  }

  @Test
  void theBubbleWarningOnALongPipelineSuggestsACountWithinTheActionLimit() {
    // 1024 micro-batches of 1f1b on 1024 devices are 2,097,152 actions: refused
    assertThat(run("schedule --kind 1f1b --pp 1024 --microbatches 100")).isZero();
    assertThat(err.toString())
        .contains("warning: --microbatches 100 is below --pp 1024")
        .contains("Maybe use --microbatches 976 (the most the limit of actions per schedule")
        .doesNotContain("1024 or more");
    err.getBuffer().setLength(0);
    assertThat(run("schedule --kind 1f1b --pp 1024 --microbatches 976")).isZero();
  }

  @Test
  void planOnAHeterogeneousClusterShowsEachDevicesPeakAgainstItsOwnLimit(@TempDir Path dir)
      throws IOException {
    Path cluster = dir.resolve("mixed.yaml");
    Files.writeString(
        cluster,
        "name: mixed\n"
            + "groups:\n"
            + "  - device: h100\n"
            + "    devicesPerNode: 2\n"
            + "  - device: v100\n"
            + "    devicesPerNode: 2\n");
    assertThat(
            run(
                "plan --model gpt2-xl --cluster "
                    + cluster
                    + " --global-batch 16 --pp 4 --schedules 1f1b --quiet"))
        .as(err.toString())
        .isZero();
    String text = out.toString();
    // before: "peak 44.27 GiB of 30.00 GiB", an H100's peak against a V100's limit
    assertThat(text)
        .containsPattern(
            "tightest pipeline device \\d \\((h100-sxm|v100)\\): peak [0-9.]+ GiB of its")
        .containsPattern(
            "Peak memory per pipeline device \\(of its own limit\\): 0 h100-sxm [0-9.]+ of 78\\.00"
                + " GiB, 1 h100-sxm [0-9.]+ of 78\\.00 GiB, 2 v100 [0-9.]+ of 30\\.00 GiB, 3 v100"
                + " [0-9.]+ of 30\\.00 GiB\\.")
        .doesNotContainPattern("peak [0-9.]+ GiB of 30\\.00 GiB");
  }
}
