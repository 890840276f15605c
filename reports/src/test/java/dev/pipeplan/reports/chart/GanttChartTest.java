package dev.pipeplan.reports.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.reports.TestTimelines;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.TimedAction;
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
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
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

    Timeline dense = TestTimelines.oneFOneB(4, 96);
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
  void subtitleCallsTheTimelinesSpanThePipelineTimeNotTheIteration() {
    // A plan's iteration is the pipeline + data-parallel sync + optimizer step; the chart only
    // sees the pipeline, so calling its span the iteration contradicted the report beside it.
    Timeline timeline = TestTimelines.oneFOneB(2, 4);
    String svg = ChartFiles.svg(GanttChart.create(timeline, "t", 400), 1200, 400);
    assertThat(svg).contains(": pipeline time ").doesNotContain(": iteration ");
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

  @Test
  void chunksOfTheSameMicroBatchOnOneDeviceGetDifferentPaintAndOutline() {
    // looped, p = 2, v = 2: device 0 runs stages 0 and 2, device 1 runs stages 1 and 3
    Timeline looped = chunked(2, List.of(0, 1, 0, 1), 3);
    GanttDataset bars = dataset(GanttChart.create(looped, "t", 300));
    assertThat(bars.chunkCount()).isEqualTo(2);
    Bar stage0 = find(bars, "action-d0-0F1");
    Bar stage2 = find(bars, "action-d0-2F1");
    assertThat(bars.chunk(stage0.series, stage0.item)).isZero();
    assertThat(bars.chunk(stage2.series, stage2.item)).isEqualTo(1);
    assertThat(GanttRenderer.fill(bars, stage0.series, stage0.item))
        .isNotEqualTo(GanttRenderer.fill(bars, stage2.series, stage2.item));
    assertThat(GanttRenderer.outline(bars, stage0.series, stage0.item)).isNull();
    assertThat(GanttRenderer.outline(bars, stage2.series, stage2.item)).isNotNull();
    assertThat(bars.label(stage2.series, stage2.item)).isEqualTo("1 s2");
  }

  @Test
  void vShapeChunksFollowThePlacementNotStageOverDevices() {
    // V-shape, p = 2: device 0 runs stages 0 and 3, device 1 runs stages 1 and 2
    Timeline v = chunked(2, List.of(0, 1, 1, 0), 2);
    GanttDataset bars = dataset(GanttChart.create(v, "t", 300));
    Bar down = find(bars, "action-d1-1F0");
    Bar up = find(bars, "action-d1-2F0");
    assertThat(bars.chunk(down.series, down.item)).isZero();
    assertThat(bars.chunk(up.series, up.item)).isEqualTo(1);
    Bar last = find(bars, "action-d0-3F0");
    assertThat(bars.chunk(last.series, last.item)).isEqualTo(1);
  }

  @Test
  void labelsBarsWithMicroBatchAndStageWhereTheyFit() {
    Timeline timeline = chunked(2, List.of(0, 1, 0, 1), 2);
    String svg = ChartFiles.svg(GanttChart.create(timeline, "t", 300), 1400, 300);
    assertThat(svg).contains(">1 s2<").contains(">0 s3<");
  }

  @Test
  void summarisesTheSteadyStateOfAManyMicroBatchChart() {
    Timeline timeline = TestTimelines.oneFOneB(4, 192);
    assertThat(timeline.actions()).hasSize(4 * 2 * 192);
    JFreeChart chart = GanttChart.create(timeline, "t", 400);
    GanttDataset bars = dataset(chart);
    assertThat(bars.barCount()).isLessThan(4 * 2 * 2 * GanttChart.EDGE_MICROBATCHES + 4 * 12);
    int steady = bars.seriesOf(BarCategory.STEADY_STATE);
    assertThat(steady).isNotNegative();
    assertThat(bars.getItemCount(steady)).isEqualTo(4);
    assertThat(bars.label(steady, 0)).matches("steady state: \\d+ actions");
    int summarised = 0;
    for (int i = 0; i < 4; i++) {
      summarised += Integer.parseInt(bars.shortLabel(steady, i));
    }
    int drawnActions = bars.barCount() - 4;
    assertThat(summarised).isGreaterThan(4 * 2 * 150).isLessThanOrEqualTo(4 * 2 * 192);
    assertThat(summarised + drawnActions).isGreaterThanOrEqualTo(4 * 2 * 192);
    assertThat(chart.getTitle().getText()).contains("steady state summarised");
    assertThat(GanttChart.summaryNote(timeline))
        .hasValueSatisfying(n -> assertThat(n).contains("micro-batches 0-3 and 188-191"));
    // the first and last micro-batches are all there
    String svg = ChartFiles.svg(chart, 1400, 400);
    assertThat(ids(svg, "rect", "action-d3-3F0")).hasSize(1);
    assertThat(ids(svg, "rect", "action-d0-0B191")).hasSize(1);
    assertThat(ids(svg, "rect", "action-d0-0F100")).isEmpty();
  }

  @Test
  void drawsEveryActionBelowTheSummaryThreshold() {
    Timeline timeline = TestTimelines.oneFOneB(4, GanttChart.SUMMARY_ACTIONS_PER_DEVICE / 2);
    GanttDataset bars = dataset(GanttChart.create(timeline, "t", 400));
    assertThat(bars.barCount()).isEqualTo(timeline.actions().size());
    assertThat(bars.seriesOf(BarCategory.STEADY_STATE)).isNegative();
    assertThat(GanttChart.summaryNote(timeline)).isEmpty();
  }

  /** F then B of every micro-batch for each stage in order, one after the other per device. */
  private static Timeline chunked(int p, List<Integer> stageToDevice, int m) {
    List<TimedAction> actions = new ArrayList<>();
    long[] clock = new long[p];
    for (int d = 0; d < p; d++) {
      for (int j = 0; j < m; j++) {
        for (int s = 0; s < stageToDevice.size(); s++) {
          if (stageToDevice.get(s) == d) {
            long t = clock[d];
            actions.add(new TimedAction(d, Action.of(ActionType.F, s, j), t, t + 1_000_000));
            actions.add(
                new TimedAction(d, Action.of(ActionType.B, s, j), t + 1_000_000, t + 3_000_000));
            clock[d] = t + 3_000_000;
          }
        }
      }
    }
    return new Timeline(Timeline.PREDICTED, "test", p, actions, List.of(), List.of());
  }

  private record Bar(int series, int item) {}

  private static Bar find(GanttDataset bars, String id) {
    for (int s = 0; s < bars.getSeriesCount(); s++) {
      for (int i = 0; i < bars.getItemCount(s); i++) {
        if (bars.elementId(s, i).equals(id)) {
          return new Bar(s, i);
        }
      }
    }
    throw new AssertionError("no bar " + id);
  }

  private static GanttDataset dataset(JFreeChart chart) {
    return (GanttDataset) ((XYPlot) chart.getPlot()).getDataset();
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
