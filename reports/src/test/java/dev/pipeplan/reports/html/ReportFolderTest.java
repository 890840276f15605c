package dev.pipeplan.reports.html;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.io.OwnedFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportFolderTest {
  @TempDir Path dir;

  @Test
  void refusesAFolderWithAnIndexAndTheUsersFilesAndKeepsThemAll() throws Exception {
    Path out = dir.resolve("mine");
    Files.createDirectories(out.resolve("sub"));
    Files.writeString(out.resolve("index.html"), "<p>my page</p>");
    Files.writeString(out.resolve("notes.txt"), "keep me");
    Files.writeString(out.resolve("README.md"), "# mine");
    Files.writeString(out.resolve("sub/data.csv"), "1,2");

    assertThatThrownBy(() -> HtmlReport.write(TestContents.of(2, 4, false), out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(out.toString())
        .hasMessageContaining("README.md")
        .hasMessageContaining("Maybe use a new folder");

    assertThat(Files.readString(out.resolve("index.html"))).isEqualTo("<p>my page</p>");
    assertThat(Files.readString(out.resolve("notes.txt"))).isEqualTo("keep me");
    assertThat(Files.readString(out.resolve("README.md"))).isEqualTo("# mine");
    assertThat(Files.readString(out.resolve("sub/data.csv"))).isEqualTo("1,2");
    assertThat(HtmlReportTest.listing(dir)).containsExactly("mine");
  }

  @Test
  void refusesAFileAddedToAnEarlierReport() throws Exception {
    Path out = dir.resolve("report");
    HtmlReport.write(TestContents.of(2, 4, false), out);
    Files.writeString(out.resolve("notes.txt"), "keep me");

    assertThatThrownBy(() -> HtmlReport.write(TestContents.of(2, 4, false), out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("notes.txt")
        .hasMessageContaining("did not write")
        .hasMessageContaining("Maybe use a new folder");
    assertThat(Files.readString(out.resolve("notes.txt"))).isEqualTo("keep me");
  }

  @Test
  void refusesAFolderAddedToAnEarlierReport() throws Exception {
    Path out = dir.resolve("report");
    HtmlReport.write(TestContents.of(2, 4, false), out);
    Files.createDirectories(out.resolve("extra"));
    Files.writeString(out.resolve("extra/x.txt"), "keep me");

    assertThatThrownBy(() -> HtmlReport.write(TestContents.of(2, 4, false), out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("extra");
    assertThat(Files.readString(out.resolve("extra/x.txt"))).isEqualTo("keep me");
  }

  @Test
  void writesAManifestListingEveryFileItWrote() throws Exception {
    Path out = dir.resolve("report");
    List<String> written = HtmlReport.write(TestContents.of(2, 4, true), out);
    List<String> lines = Files.readAllLines(out.resolve(OwnedFolder.MANIFEST));
    assertThat(lines.get(0)).isEqualTo(OwnedFolder.MANIFEST_HEADER).contains("pipeplan");
    assertThat(lines.get(1)).isEqualTo(OwnedFolder.KIND_PREFIX + "report output");
    assertThat(lines.subList(2, lines.size()))
        .containsExactlyElementsOf(written.subList(0, written.size() - 1))
        .contains("index.html", "gantt.png", "trace.json");
    assertThat(HtmlReportTest.listing(out)).containsExactlyInAnyOrderElementsOf(written);
  }

  @Test
  void replacesAReportThatLostSomeOfItsFiles() throws Exception {
    Path out = dir.resolve("report");
    HtmlReport.write(TestContents.of(2, 4, true), out);
    Files.delete(out.resolve("gantt.svg"));
    Files.delete(out.resolve("paired.png"));
    List<String> second = HtmlReport.write(TestContents.of(2, 4, false), out);
    assertThat(HtmlReportTest.listing(out)).containsExactlyInAnyOrderElementsOf(second);
  }

  @Test
  void writesIntoAnEmptyFolder() throws Exception {
    Path out = dir.resolve("empty");
    Files.createDirectories(out);
    List<String> written = HtmlReport.write(TestContents.of(2, 4, false), out);
    assertThat(HtmlReportTest.listing(out)).containsExactlyInAnyOrderElementsOf(written);
  }

  @Test
  void refusesAManifestThatPointsOutsideTheFolder() throws Exception {
    Path outside = dir.resolve("precious.txt");
    Files.writeString(outside, "keep me");
    Path out = dir.resolve("report");
    HtmlReport.write(TestContents.of(2, 4, false), out);
    Path manifest = out.resolve(OwnedFolder.MANIFEST);
    Files.writeString(manifest, Files.readString(manifest) + "../precious.txt\n");

    assertThatThrownBy(() -> HtmlReport.write(TestContents.of(2, 4, false), out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'../precious.txt'")
        .hasMessageContaining("Maybe use a new folder");
    assertThat(Files.readString(outside)).isEqualTo("keep me");
    assertThat(out.resolve("index.html")).isRegularFile();
  }

  @Test
  void refusesAManifestWithAnAbsolutePathOrASubfolder() throws Exception {
    Path out = dir.resolve("report");
    HtmlReport.write(TestContents.of(2, 4, false), out);
    Path manifest = out.resolve(OwnedFolder.MANIFEST);
    String original = Files.readString(manifest);
    for (String entry : List.of(dir.resolve("x").toString(), "sub/x", "..", "")) {
      Files.writeString(manifest, original + entry + "\n");
      assertThatThrownBy(() -> HtmlReport.write(TestContents.of(2, 4, false), out))
          .as(entry)
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("'" + entry + "'");
    }
  }

  @Test
  void refusesAManifestWithoutPipeplansHeader() throws Exception {
    Path out = dir.resolve("report");
    Files.createDirectories(out);
    Files.writeString(out.resolve(OwnedFolder.MANIFEST), "notes.txt\n");
    Files.writeString(out.resolve("notes.txt"), "keep me");

    assertThatThrownBy(() -> HtmlReport.write(TestContents.of(2, 4, false), out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("header");
    assertThat(Files.readString(out.resolve("notes.txt"))).isEqualTo("keep me");
  }

  @Test
  void refusesALinkEvenWhenTheManifestNamesIt() throws Exception {
    Path target = dir.resolve("precious");
    Files.createDirectories(target);
    Files.writeString(target.resolve("a.txt"), "keep me");
    Path out = dir.resolve("report");
    HtmlReport.write(TestContents.of(2, 4, false), out);
    Files.delete(out.resolve("plan.json"));
    Files.createSymbolicLink(out.resolve("plan.json"), target);

    assertThatThrownBy(() -> HtmlReport.write(TestContents.of(2, 4, false), out))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("plan.json");
    assertThat(Files.readString(target.resolve("a.txt"))).isEqualTo("keep me");
  }

  @Test
  void aFileAddedWhileTheReportIsWrittenSurvivesAndTheReportIsRefused() throws Exception {
    Path out = dir.resolve("report");
    HtmlReport.write(TestContents.of(2, 4, false), out);
    String index = Files.readString(out.resolve("index.html"));
    assertThatThrownBy(
            () ->
                HtmlReport.write(
                    TestContents.of(3, 4, false),
                    out,
                    name -> {
                      if (name.equals("trace.json")) {
                        try {
                          Files.writeString(out.resolve("notes.txt"), "keep me");
                        } catch (IOException e) {
                          throw new UncheckedIOException(e);
                        }
                      }
                    }))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("notes.txt");
    assertThat(Files.readString(out.resolve("notes.txt"))).isEqualTo("keep me");
    assertThat(Files.readString(out.resolve("index.html"))).isEqualTo(index);
    assertThat(HtmlReportTest.listing(dir)).containsExactly("report");
  }

  @Test
  void plainFileNamesOnly() {
    assertThat(OwnedFolder.isPlainFileName("gantt.png")).isTrue();
    assertThat(OwnedFolder.isPlainFileName("../x")).isFalse();
    assertThat(OwnedFolder.isPlainFileName("/etc/passwd")).isFalse();
    assertThat(OwnedFolder.isPlainFileName("..")).isFalse();
    assertThat(OwnedFolder.isPlainFileName("a\\b")).isFalse();
    assertThat(OwnedFolder.isPlainFileName(" x")).isFalse();
  }
}
