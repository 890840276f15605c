package dev.pipeplan.reports.chart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.reports.TestTimelines;
import java.util.List;
import org.junit.jupiter.api.Test;

class SearchChartsTest {
  @Test
  void paretoFrontKeepsOnlyFeasiblePointsNothingBeatsOnBothAxes() {
    List<SearchPoint> points =
        List.of(
            new SearchPoint("a", 4, 100, 50, true, false),
            new SearchPoint("b", 8, 80, 60, true, true),
            new SearchPoint("c", 8, 90, 70, true, false), // slower and bigger than b
            new SearchPoint("d", 16, 60, 90, true, false),
            new SearchPoint(
                "e", 32, 10, 10, false, false), // would dominate everything, but does not fit
            new SearchPoint("f", 16, 60, 95, true, false)); // ties d on time, bigger
    assertThat(SearchCharts.paretoFront(points))
        .extracting(SearchPoint::kind)
        .containsExactly("a", "b", "d");
  }

  @Test
  void landscapeHasALinePerKindAndMarksTheChosenPlan() {
    List<SearchPoint> points = TestTimelines.search();
    String svg = ChartFiles.svg(SearchCharts.landscape(points, "landscape"), 800, 500);
    assertThat(svg)
        .contains(">1f1b<")
        .contains(">interleaved<")
        .contains(">zb-h1<")
        .contains(">chosen plan<")
        .contains(">does not fit in memory<");
    String pareto = ChartFiles.svg(SearchCharts.pareto(points, 80L << 30, "pareto"), 800, 500);
    assertThat(pareto)
        .contains("memory limit 80.0 GiB")
        .contains("chosen: 1f1b, m=64")
        .contains(">Pareto front<");
  }
}
