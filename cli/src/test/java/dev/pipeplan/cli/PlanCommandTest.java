package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void writesARankedTableAndAPlanFile() {
    Path plan = dir.resolve("plan.json");
    assertThat(
            run(
                "plan",
                "--model",
                "gpt2-small",
                "--cluster",
                "h100:1x4",
                "--global-batch",
                "8",
                "--top",
                "3",
                "--compare-baselines",
                "-o",
                plan.toString()))
        .isZero();
    assertThat(out.toString())
        .contains(
            "Ranked plans:",
            "iteration ms",
            "beats the runner-up",
            "uniform (Megatron)",
            "parameters (DeepSpeed)",
            "time-greedy (torchgpipe)",
            "wrote " + plan);
    Plan read = PlanJson.read(plan);
    assertThat(read.runnersUp()).hasSize(3);
    assertThat(read.parallelism().deviceCount()).isEqualTo(4);
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void fixedPpAndMicroBatchesKeepThem() {
    assertThat(
            run(
                "plan",
                "--model",
                "gpt2-small",
                "--cluster",
                "h100:1x4",
                "--global-batch",
                "16",
                "--pp",
                "4",
                "--microbatches",
                "8",
                "--schedules",
                "1f1b,gpipe",
                "--json"))
        .isZero();
    Plan plan = PlanJson.parse(out.toString(), "stdout");
    assertThat(plan.parallelism().pp()).isEqualTo(4);
    assertThat(plan.microBatchCount()).isEqualTo(8);
    assertThat(plan.scheduleKind()).isIn("1f1b", "gpipe");
  }

  @Test
  void sameInputGivesTheSameBytes() throws Exception {
    Path a = dir.resolve("a.json");
    Path b = dir.resolve("b.json");
    String[] args = {
      "plan", "--model", "gpt2-small", "--cluster", "h100:1x4", "--global-batch", "8", "--quiet"
    };
    assertThat(run(concat(args, "-o", a.toString()))).isZero();
    assertThat(run(concat(args, "-o", b.toString()))).isZero();
    assertThat(Files.readString(b)).isEqualTo(Files.readString(a));
  }

  @Test
  void reportsTheMemoryShortfallWithExitCode2() {
    assertThat(
            run(
                "plan",
                "--model",
                "gpt3-175b",
                "--cluster",
                "h100:1x8",
                "--global-batch",
                "8",
                "--memory-limit",
                "70GiB"))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "error: no plan fits in memory",
            "over its limit of 70.0 GiB. Maybe",
            "a larger --memory-limit");
  }

  @Test
  void parsesMemorySizes() {
    assertThat(PlanCommand.parseBytes("--memory-limit", "70GiB")).isEqualTo(70L << 30);
    assertThat(PlanCommand.parseBytes("--memory-limit", "80GB")).isEqualTo(80_000_000_000L);
    assertThat(PlanCommand.parseBytes("--memory-limit", "1024")).isEqualTo(1024L);
    assertThatThrownBy(() -> PlanCommand.parseBytes("--memory-limit", "lots"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'lots' is not a size");
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = new String[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
