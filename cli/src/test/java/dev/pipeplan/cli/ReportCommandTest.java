package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
                ("plan --model gpt-tiny --cluster h100:1x4 --global-batch 16 --pp 4 --quiet -o "
                        + plan.toString())
                    .split(" ")))
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
  void refusesAFolderOfTheUsersFilesAndDeletesNothing() throws Exception {
    Path plan = tinyPlan();
    Path mine = dir.resolve("mine");
    Files.createDirectories(mine.resolve("drafts"));
    Files.writeString(mine.resolve("index.html"), "<p>my page</p>");
    Files.writeString(mine.resolve("notes.txt"), "notes");
    Files.writeString(mine.resolve("README.md"), "# readme");
    Files.writeString(mine.resolve("drafts/a.txt"), "draft");

    err.getBuffer().setLength(0); // only what report says
    assertThat(run("report", "--plan", plan.toString(), "-o", mine.toString()))
        .as(err.toString())
        .isEqualTo(Main.EXIT_BAD_INPUT);

    assertThat(err.toString())
        .contains(mine.toString())
        .contains("README.md")
        .contains("Maybe use a new folder")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
    assertThat(err.toString().strip().lines()).hasSize(1);
    assertThat(Files.readString(mine.resolve("index.html"))).isEqualTo("<p>my page</p>");
    assertThat(Files.readString(mine.resolve("notes.txt"))).isEqualTo("notes");
    assertThat(Files.readString(mine.resolve("README.md"))).isEqualTo("# readme");
    assertThat(Files.readString(mine.resolve("drafts/a.txt"))).isEqualTo("draft");
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left.map(f -> f.getFileName().toString()).sorted())
          .containsExactly("mine", "plan.json");
    }
  }

  @Test
  void replacesItsOwnEarlierReport() throws Exception {
    Path plan = tinyPlan();
    Path report = dir.resolve("report");
    assertThat(run("report", "--plan", plan.toString(), "-o", report.toString()))
        .as(err.toString())
        .isEqualTo(Main.EXIT_OK);
    byte[] first = Files.readAllBytes(report.resolve("index.html"));
    assertThat(run("report", "--plan", plan.toString(), "-o", report.toString()))
        .as(err.toString())
        .isEqualTo(Main.EXIT_OK);
    assertThat(Files.readAllBytes(report.resolve("index.html"))).isEqualTo(first);
    assertThat(report.resolve(".pipeplan-files")).isRegularFile();
  }

  @Test
  void refusesAHandEditedManifestThatPointsOutside() throws Exception {
    Path plan = tinyPlan();
    Path report = dir.resolve("report");
    assertThat(run("report", "--plan", plan.toString(), "-o", report.toString()))
        .as(err.toString())
        .isEqualTo(Main.EXIT_OK);
    Path manifest = report.resolve(".pipeplan-files");
    Files.writeString(manifest, Files.readString(manifest) + "../plan.json\n");
    assertThat(run("report", "--plan", plan.toString(), "-o", report.toString()))
        .isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(err.toString()).contains("../plan.json");
    assertThat(plan).isRegularFile();
  }

  private Path tinyPlan() {
    Path plan = dir.resolve("plan.json");
    assertThat(
            run(
                ("plan --model gpt-tiny --cluster h100:1x4 --global-batch 16 --pp 4 --quiet -o "
                        + plan.toString())
                    .split(" ")))
        .as(err.toString())
        .isEqualTo(Main.EXIT_OK);
    return plan;
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
