package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private Path plan;

  private int run(String... args) {
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @BeforeEach
  void makePlan() {
    plan = dir.resolve("plan.json");
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
                "1f1b",
                "--quiet",
                "-o",
                plan.toString()))
        .isZero();
  }

  @Test
  void writesEveryTarget() throws Exception {
    for (String target :
        new String[] {"pytorch-csv", "torchtitan", "megatron", "deepspeed", "torchgpipe"}) {
      Path outDir = dir.resolve(target);
      assertThat(run("export", "--plan", plan.toString(), "--to", target, "-o", outDir.toString()))
          .as(target + ": " + err)
          .isZero();
      assertThat(Files.list(outDir)).isNotEmpty();
    }
    assertThat(Files.readString(dir.resolve("megatron/megatron-args.sh")))
        .contains("--pipeline-model-parallel-size 4", "--pipeline-model-parallel-layout \"E,");
    assertThat(Files.readString(dir.resolve("torchgpipe/torchgpipe.json")))
        .contains("\"chunks\" : 8");
    assertThat(Files.readAllLines(dir.resolve("pytorch-csv/schedule.csv"))).hasSize(4);
  }

  @Test
  void writesAOneFileExportToTheNamedFile() {
    Path file = dir.resolve("ds.json");
    assertThat(run("export", "--plan", plan.toString(), "--to", "deepspeed", "-o", file.toString()))
        .isZero();
    assertThat(file).exists();
  }

  @Test
  void rejectsAnUnknownTarget() {
    assertThat(run("export", "--plan", plan.toString(), "--to", "jax")).isEqualTo(2);
    assertThat(err.toString()).contains("export target 'jax' is unknown");
  }
}
