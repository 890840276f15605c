package dev.pipeplan.reports.chart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.reports.TestTimelines;
import dev.pipeplan.simulator.timeline.Timeline;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Renders every chart kind at small and large sizes into the folder named by {@code
 * -Dpipeplan.gallery=DIR}, for people to look at. Skipped in the normal build (the large charts
 * take seconds).
 */
@EnabledIfSystemProperty(named = "pipeplan.gallery", matches = ".+")
class ChartGalleryTest {
  @Test
  void rendersEveryChartKindSmallAndLarge() throws Exception {
    Path dir = Path.of(System.getProperty("pipeplan.gallery"));
    Files.createDirectories(dir);
    Timeline small = TestTimelines.oneFOneB(2, 4);
    Timeline smallZb = TestTimelines.zeroBubbleLike(4, 8, 150_000);
    Timeline large = TestTimelines.oneFOneB(64, 1024);
    Timeline largeZb = TestTimelines.zeroBubbleLike(64, 1024, 150_000);
    GanttChart.write(small, dir.resolve("gantt-small.png"));
    GanttChart.write(small, dir.resolve("gantt-small.svg"));
    GanttChart.write(smallZb, dir.resolve("gantt-zb-small.png"));
    GanttChart.write(TestTimelines.oneFOneB(8, 32), dir.resolve("gantt-medium.png"));
    GanttChart.write(large, dir.resolve("gantt-large.png"));
    GanttChart.write(largeZb, dir.resolve("gantt-zb-large.png"));
    GanttChart.writePaired(
        smallZb, TestTimelines.measured(4, 8, 150_000, 7), dir.resolve("paired-small.png"));
    GanttChart.writePaired(
        largeZb, TestTimelines.measured(64, 1024, 150_000, 7), dir.resolve("paired-large.png"));
    java.util.List<Long> limits8 = java.util.Collections.nCopies(4, 4L << 30);
    MemoryChart.write(smallZb, limits8, dir.resolve("memory-small.png"));
    MemoryChart.write(
        largeZb, java.util.Collections.nCopies(64, 80L << 30), dir.resolve("memory-large.png"));
    SearchCharts.writeLandscape(TestTimelines.search(), dir.resolve("landscape.png"));
    SearchCharts.writePareto(TestTimelines.search(), 80L << 30, dir.resolve("pareto.png"));
    assertThat(dir.resolve("gantt-large.png")).exists();
  }
}
