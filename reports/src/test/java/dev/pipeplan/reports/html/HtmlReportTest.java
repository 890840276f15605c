package dev.pipeplan.reports.html;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pipeplan.models.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
  private static final Pattern REFERENCE = Pattern.compile("(?:href|src)=\"([^\"]*)\"");

  @TempDir Path dir;

  @Test
  void referencesOnlyFilesThatExistInTheFolder() throws Exception {
    Path out = dir.resolve("report");
    List<String> written = HtmlReport.write(TestContents.of(3, 4, true), out);
    String html = Files.readString(out.resolve("index.html"));
    List<String> references = references(html);
    assertThat(references)
        .contains(
            "gantt.png",
            "gantt.svg",
            "memory.png",
            "landscape.png",
            "pareto.png",
            "paired.png",
            "paired.svg",
            "trace.json",
            "plan.json");
    for (String r : references) {
      assertThat(r).doesNotContain(":").doesNotStartWith("/").doesNotContain("..");
      assertThat(out.resolve(r)).isRegularFile();
    }
    assertThat(html).doesNotContain("http:").doesNotContain("https:").doesNotContain("<script");
    assertThat(listing(out)).containsExactlyInAnyOrderElementsOf(written);
  }

  @Test
  void showsTheComparisonOnlyWhenAMeasuredRunIsGiven() throws Exception {
    HtmlReport.write(TestContents.of(2, 4, false), dir.resolve("plain"));
    String plain = Files.readString(dir.resolve("plain/index.html"));
    assertThat(plain)
        .doesNotContain("id=\"comparison\"")
        .contains("Why this plan")
        .contains("zb-h1 is 6.2% faster");
    assertThat(dir.resolve("plain/paired.png")).doesNotExist();

    HtmlReport.write(TestContents.of(2, 4, true), dir.resolve("compared"));
    String compared = Files.readString(dir.resolve("compared/index.html"));
    assertThat(compared)
        .contains("id=\"comparison\"")
        .contains("per-action duration error")
        .contains("stage that drifted most")
        .contains("measured busy (ms)");
  }

  @Test
  void theHeadlineSaysWhenTheComparisonIsNotAModelError() throws Exception {
    ReportContent plain = TestContents.of(2, 4, true);
    HtmlReport.write(plain, dir.resolve("clean"));
    assertThat(Files.readString(dir.resolve("clean/index.html")))
        .contains("prediction error")
        .doesNotContain("not a model error");
    ReportContent warned =
        new ReportContent(
            plain.title(),
            plain.summary(),
            plain.devices(),
            plain.reason(),
            plain.candidates(),
            plain.searchPoints(),
            plain.memoryLimitBytes(),
            plain.predicted(),
            plain.measured(),
            plain.runDetails(),
            plain.planJson(),
            plain.simulatedCandidates(),
            true,
            List.of());
    HtmlReport.write(warned, dir.resolve("warned"));
    assertThat(Files.readString(dir.resolve("warned/index.html")))
        .containsPattern(
            "prediction error [+-][0-9.]+%, not a model error: see the warning under the run");
  }

  @Test
  void escapesTextFromTheInputs() throws Exception {
    HtmlReport.write(TestContents.of(2, 4, false), dir.resolve("r"));
    String html = Files.readString(dir.resolve("r/index.html"));
    assertThat(html)
        .contains("test &amp; &lt;model&gt;")
        .contains("gpt2-tiny &lt;test&gt;")
        .doesNotContain("<model>");
  }

  @Test
  void sameContentGivesSameIndexAndTrace() throws Exception {
    HtmlReport.write(TestContents.of(2, 4, true), dir.resolve("a"));
    HtmlReport.write(TestContents.of(2, 4, true), dir.resolve("b"));
    for (String f : List.of("index.html", "trace.json", "gantt.svg", "plan.json")) {
      assertThat(Files.readAllBytes(dir.resolve("a").resolve(f)))
          .as(f)
          .isEqualTo(Files.readAllBytes(dir.resolve("b").resolve(f)));
    }
  }

  @Test
  void anInterruptedWriteLeavesNothingBehind() throws Exception {
    Path out = dir.resolve("report");
    assertThatThrownBy(
            () ->
                HtmlReport.write(
                    TestContents.of(2, 4, true),
                    out,
                    name -> {
                      if (name.equals("memory.png")) {
                        throw new IllegalStateException("interrupted");
                      }
                    }))
        .hasMessage("interrupted");
    assertThat(out).doesNotExist();
    assertThat(listing(dir)).isEmpty();
  }

  @Test
  void anInterruptedRewriteKeepsTheEarlierReportWhole() throws Exception {
    Path out = dir.resolve("report");
    List<String> first = HtmlReport.write(TestContents.of(2, 4, false), out);
    String index = Files.readString(out.resolve("index.html"));
    assertThatThrownBy(
            () ->
                HtmlReport.write(
                    TestContents.of(3, 4, true),
                    out,
                    name -> {
                      if (name.equals("trace.json")) {
                        throw new IllegalStateException("interrupted");
                      }
                    }))
        .hasMessage("interrupted");
    assertThat(Files.readString(out.resolve("index.html"))).isEqualTo(index);
    assertThat(listing(out)).containsExactlyInAnyOrderElementsOf(first);
    assertThat(listing(dir)).containsExactly("report");
  }

  @Test
  void replacesAnEarlierReport() throws Exception {
    Path out = dir.resolve("report");
    HtmlReport.write(TestContents.of(2, 4, true), out);
    List<String> second = HtmlReport.write(TestContents.of(2, 4, false), out);
    assertThat(listing(out))
        .containsExactlyInAnyOrderElementsOf(second)
        .doesNotContain("paired.png");
    assertThat(listing(dir)).containsExactly("report");
  }

  @Test
  void refusesToReplaceAFolderThatIsNotAReport() throws Exception {
    Path out = dir.resolve("mine");
    Files.createDirectories(out);
    Files.writeString(out.resolve("notes.txt"), "keep me");
    assertThatThrownBy(() -> HtmlReport.write(TestContents.of(2, 4, false), out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("mine")
        .hasMessageContaining("notes.txt")
        .hasMessageContaining("new folder");
    assertThat(Files.readString(out.resolve("notes.txt"))).isEqualTo("keep me");
    assertThat(listing(dir)).containsExactly("mine");
  }

  @Test
  void writesAFolderOthersCanRead() throws Exception {
    Path out = dir.resolve("report");
    HtmlReport.write(TestContents.of(2, 4, false), out);
    assumeTrue(Files.getFileStore(out).supportsFileAttributeView(PosixFileAttributeView.class));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out)))
        .isEqualTo("rwxr-xr-x");
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("index.html"))))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void refusesAnOutputThatIsAFile() throws Exception {
    Path out = dir.resolve("report.html");
    Files.writeString(out, "x");
    assertThatThrownBy(() -> HtmlReport.write(TestContents.of(2, 4, false), out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("is a file");
  }

  @Test
  void captionsSayHowManyOfTheSimulatedCandidatesTheSearchChartsShow() throws Exception {
    ReportContent content = TestContents.of(2, 4, false);
    HtmlReport.write(content, dir.resolve("r"));
    String html = Files.readString(dir.resolve("r/index.html"));
    int shown = content.searchPoints().size();
    assertThat(shown).isLessThan(77);
    assertThat(html).contains("showing " + shown + " of 77 simulated candidates (");
  }

  @Test
  void captionSaysWhenTheGanttSummarisesTheSteadyState() throws Exception {
    HtmlReport.write(TestContents.of(2, 4, false), dir.resolve("small"));
    assertThat(Files.readString(dir.resolve("small/index.html")))
        .doesNotContain("steady state summarised");
    HtmlReport.write(TestContents.of(2, 192, false), dir.resolve("big"));
    assertThat(Files.readString(dir.resolve("big/index.html")))
        .contains("steady state summarised: micro-batches 0-3 and 188-191");
  }

  @Test
  void longPartitionCellsWrap() throws Exception {
    HtmlReport.write(TestContents.of(2, 4, false), dir.resolve("r"));
    assertThat(Files.readString(dir.resolve("r/index.html")))
        .contains("td { overflow-wrap: anywhere; }");
  }

  static List<String> references(String html) {
    List<String> refs = new ArrayList<>();
    Matcher m = REFERENCE.matcher(html);
    while (m.find()) {
      refs.add(m.group(1));
    }
    return refs;
  }

  static List<String> listing(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }
}
