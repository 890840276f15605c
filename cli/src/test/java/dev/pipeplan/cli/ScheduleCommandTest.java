package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import dev.pipeplan.simulator.schedule.io.PyTorchCsv;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ScheduleCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void printsOneFOneBAsAnAlignedGrid() {
    assertThat(run("schedule", "--kind", "1f1b", "--pp", "2", "--microbatches", "3")).isZero();
    assertThat(out.toString())
        .isEqualTo(
            "schedule 1f1b: pp 2, microbatches 3, virtual stages 1, 12 actions in 8 unit steps\n"
                + "step     0   1   2   3   4   5   6   7\n"
                + "device 0 0F0 0F1 .   0B0 0F2 0B1 .   0B2\n"
                + "device 1 .   1F0 1B0 1F1 1B1 1F2 1B2 .\n"
                + "in flight per device: 2 1 (activation sets of one stage and micro-batch)\n");
  }

  @Test
  void printsInterleavedAsPyTorchCsvThatReadsBack() {
    assertThat(
            run(
                "schedule",
                "--kind",
                "interleaved",
                "--pp",
                "4",
                "--microbatches",
                "8",
                "--virtual-stages",
                "2",
                "--format",
                "pytorch-csv"))
        .isZero();
    Schedule back = PyTorchCsv.read(out.toString(), "out.csv", false);
    Schedule expected =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.INTERLEAVED_1F1B, 4, 8, 2));
    assertThat(back.deviceActions()).isEqualTo(expected.deviceActions());
  }

  @Test
  void vShapedKindsDefaultToTwoVirtualStages() {
    assertThat(run("schedule", "--kind", "zb-v", "--pp", "2", "--microbatches", "4")).isZero();
    assertThat(out.toString()).contains("virtual stages 2", "device 1", "3F0");
  }

  @Test
  void rejectsVirtualStagesTheKindDoesNotTakeWithExitTwo() {
    assertThat(
            run(
                "schedule",
                "--kind",
                "1f1b",
                "--pp",
                "4",
                "--microbatches",
                "8",
                "--virtual-stages",
                "2"))
        .isEqualTo(2);
    assertThat(err.toString()).startsWith("error: --virtual-stages (2) must be 1 for 1f1b.");
  }

  @Test
  void rejectsAnUnknownKindListingTheKnownOnes() {
    assertThat(run("schedule", "--kind", "pipedream", "--pp", "4", "--microbatches", "8"))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("schedule kind 'pipedream' is unknown", "zb-h1", "dualpipev");
  }

  @Test
  void rejectsAnUnknownFormat() {
    assertThat(
            run(
                "schedule",
                "--kind",
                "gpipe",
                "--pp",
                "2",
                "--microbatches",
                "2",
                "--format",
                "yaml"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("format 'yaml' is unknown");
  }
}
