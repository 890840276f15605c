package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void writesAReportFolderForAPlan() throws Exception {
    Path plan = dir.resolve("plan.json");
    assertThat(
            run(
                "plan",
                "--model",
                "gpt-tiny",
                "--cluster",
                "h100:1x4",
                "--global-batch",
                "16",
                "--pp",
                "4",
                "--quiet",
                "-o",
                plan.toString()))
        .as(err.toString())
        .isEqualTo(Main.EXIT_OK);
    Path report = dir.resolve("report");
    assertThat(run("report", "--plan", plan.toString(), "-o", report.toString()))
        .as(err.toString())
        .isEqualTo(Main.EXIT_OK);
    assertThat(out.toString()).contains("index.html");
    String html = Files.readString(report.resolve("index.html"));
    Matcher m = Pattern.compile("(?:href|src)=\"([^\"]*)\"").matcher(html);
    int references = 0;
    while (m.find()) {
      assertThat(report.resolve(m.group(1))).isRegularFile();
      references++;
    }
    assertThat(references).isGreaterThan(3);
    assertThat(Files.readString(report.resolve("plan.json"))).isEqualTo(Files.readString(plan));
    assertThat(report.resolve("trace.json")).isRegularFile();
    assertThat(report.resolve("gantt.svg")).isRegularFile();
  }

  @Test
  void aMissingPlanIsBadInput() {
    assertThat(
            run(
                "report",
                "--plan",
                dir.resolve("nope.json").toString(),
                "-o",
                dir.resolve("r").toString()))
        .isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(err.toString()).contains("nope.json").contains("does not exist");
    assertThat(dir.resolve("r")).doesNotExist();
  }

  @Test
  void requiresAnOutputFolder() {
    assertThat(run("report", "--plan", "plan.json")).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(err.toString()).contains("--output");
  }
}
