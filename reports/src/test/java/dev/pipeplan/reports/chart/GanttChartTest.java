package dev.pipeplan.reports.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.reports.TestTimelines;
import dev.pipeplan.simulator.timeline.Timeline;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GanttChartTest {
  private static final Pattern ID = Pattern.compile("<(\\w+) id='([^']+)'");

  @TempDir Path dir;

  @Test
  void svgHoldsOneBarPerAction() throws Exception {
    Timeline timeline = TestTimelines.oneFOneB(2, 4);
    Path svg = dir.resolve("g.svg");
    GanttChart.write(timeline, svg);
    List<String> bars = ids(Files.readString(svg), "rect", "action-");
    assertThat(bars).hasSize(timeline.actions().size()).doesNotHaveDuplicates();
    assertThat(bars).contains("action-d0-0F0", "action-d1-1B3");
  }

  @Test
  void svgHoldsOneStripPerTransferBesideTheActions() throws Exception {
    Timeline timeline = TestTimelines.zeroBubbleLike(3, 4, 200_000);
    String svg = ChartFiles.svg(GanttChart.create(timeline, "t", 400), 1200, 400);
    assertThat(ids(svg, "rect", "action-")).hasSize(timeline.actions().size());
    assertThat(ids(svg, "rect", "comm-")).hasSize(timeline.transfers().size()).isNotEmpty();
  }

  @Test
  void labelsEveryActionWhenBarsAreWideAndNoneWhenTheyAreThin() {
    Timeline small = TestTimelines.oneFOneB(2, 4);
    String wide = ChartFiles.svg(GanttChart.create(small, "t", 300), 1400, 300);
    assertThat(ids(wide, "g", "label-action-")).hasSize(small.actions().size());

    Timeline dense = TestTimelines.oneFOneB(4, 256);
    String thin = ChartFiles.svg(GanttChart.create(dense, "t", 400), 800, 400);
    assertThat(ids(thin, "rect", "action-")).hasSize(dense.actions().size());
    assertThat(ids(thin, "g", "label-")).isEmpty();
  }

  @Test
  void labelsOnlyBarsWideEnoughForTheirText() {
    // F bars are half as wide as B bars: at this width single digits fit in both, two digits only
    // in B bars
    Timeline timeline = TestTimelines.oneFOneB(2, 16);
    String svg = ChartFiles.svg(GanttChart.create(timeline, "t", 300), 900, 300);
    List<String> labels = ids(svg, "g", "label-action-");
    assertThat(labels).isNotEmpty().hasSizeLessThan(timeline.actions().size());
    assertThat(labels).allSatisfy(id -> assertThat(id).matches("label-action-d\\d-\\d[FB]\\d+"));
  }

  @Test
  void pairedSvgHoldsEachTimelinesBars() {
    Timeline predicted = TestTimelines.zeroBubbleLike(2, 4, 0);
    Timeline measured = TestTimelines.measured(2, 4, 0, 3);
    String svg = ChartFiles.svg(GanttChart.createPaired(predicted, measured, "p", 400), 1200, 400);
    assertThat(ids(svg, "rect", "predicted-")).hasSize(predicted.actions().size());
    assertThat(ids(svg, "rect", "measured-")).hasSize(measured.actions().size());
    assertThat(svg).contains("dev 1 measured").contains("per-action duration error");
  }

  @Test
  void pngHasTheRequestedSize() throws Exception {
    Path png = dir.resolve("g.png");
    GanttChart.write(TestTimelines.oneFOneB(2, 4), png, "title", 640, 240);
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(640);
    assertThat(image.getHeight()).isEqualTo(240);
  }

  @Test
  void sameTimelineGivesSameSvgBytes() throws Exception {
    Timeline timeline = TestTimelines.zeroBubbleLike(3, 4, 100_000);
    GanttChart.write(timeline, dir.resolve("a.svg"));
    GanttChart.write(timeline, dir.resolve("b.svg"));
    assertThat(Files.readAllBytes(dir.resolve("a.svg")))
        .isEqualTo(Files.readAllBytes(dir.resolve("b.svg")));
  }

  @Test
  void rejectsAnUnknownExtensionWithAHint() {
    assertThatThrownBy(() -> GanttChart.write(TestTimelines.oneFOneB(2, 4), dir.resolve("g.pdf")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("g.pdf")
        .hasMessageContaining("g.png");
    assertThat(dir.resolve("g.pdf")).doesNotExist();
  }

  @Test
  void heightGrowsWithTheDeviceCountWithinTheLimit() {
    assertThat(GanttChart.defaultHeightPixels(2)).isLessThan(GanttChart.defaultHeightPixels(8));
    assertThat(GanttChart.defaultHeightPixels(64)).isLessThan(GanttChart.defaultHeightPixels(128));
    assertThat(GanttChart.defaultHeightPixels(100_000)).isEqualTo(ChartFiles.MAX_SIDE_PIXELS);
  }

  @Test
  void drawsAnEmptyTimelineAsEmptyRows() {
    Timeline empty = new Timeline(Timeline.MEASURED, "none", 3, List.of(), List.of(), List.of());
    String svg = ChartFiles.svg(GanttChart.create(empty, "empty", 300), 600, 300);
    assertThat(ids(svg, "rect", "action-")).isEmpty();
    assertThat(svg).contains(">device 2<").contains("0 actions");
  }

  @Test
  void rejectsPairingTimelinesOfDifferentDeviceCounts() {
    assertThatThrownBy(
            () ->
                GanttChart.createPaired(
                    TestTimelines.oneFOneB(2, 4), TestTimelines.oneFOneB(3, 4), "p", 300))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("3 devices");
  }

  static List<String> ids(String svg, String element, String prefix) {
    List<String> ids = new ArrayList<>();
    Matcher m = ID.matcher(svg);
    while (m.find()) {
      if (m.group(1).equals(element) && m.group(2).startsWith(prefix)) {
        ids.add(m.group(2));
      }
    }
    assertThat(new HashSet<>(ids)).hasSameSizeAs(ids);
    return ids;
  }

  static String read(Path file) throws Exception {
    return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
  }
}
