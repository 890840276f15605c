package dev.pipeplan.reports.html;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** Writes sample reports into {@code -Dpipeplan.gallery=DIR} for people (and headless Chromium) to look at. */
@EnabledIfSystemProperty(named = "pipeplan.gallery", matches = ".+")
class HtmlGalleryTest {
  @Test
  void writesSmallAndLargeReports() {
    Path dir = Path.of(System.getProperty("pipeplan.gallery"));
    HtmlReport.write(TestContents.of(4, 8, true), dir.resolve("report-small"));
    HtmlReport.write(TestContents.of(64, 1024, true), dir.resolve("report-large"));
    assertThat(dir.resolve("report-large/index.html")).exists();
  }
}
