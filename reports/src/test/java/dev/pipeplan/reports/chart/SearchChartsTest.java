package dev.pipeplan.reports.chart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.reports.TestTimelines;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYAnnotation;
import org.jfree.chart.annotations.XYPointerAnnotation;
import org.jfree.chart.plot.XYPlot;
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

  @Test
  void chosenNoteOnTheParetoChartPointsAtTheChosenCandidateExactly() {
    List<SearchPoint> points = TestTimelines.search();
    SearchPoint chosen = points.stream().filter(SearchPoint::chosen).findFirst().orElseThrow();
    JFreeChart chart = SearchCharts.pareto(points, 80L << 30, "pareto");
    XYPointerAnnotation note = onlyNote(chart);
    ByteUnit unit = ByteUnit.forMax(80L << 30);
    assertThat(note.getX()).isEqualTo(unit.of(chosen.peakMemoryBytes()));
    assertThat(note.getY()).isEqualTo(chosen.iterationNanos() / 1e6);
    assertThat(note.getText()).isEqualTo("chosen: 1f1b, m=64");
  }

  @Test
  void chosenNoteOnTheLandscapePointsAtTheChosenCandidateExactly() {
    List<SearchPoint> points = TestTimelines.search();
    SearchPoint chosen = points.stream().filter(SearchPoint::chosen).findFirst().orElseThrow();
    XYPointerAnnotation note = onlyNote(SearchCharts.landscape(points, "landscape"));
    assertThat(note.getX()).isEqualTo(chosen.microBatchCount());
    assertThat(note.getY()).isEqualTo(chosen.iterationNanos() / 1e6);
  }

  @Test
  void chosenNoteTurnsAwayFromANeighbourOnItsUpperRight() {
    // the chosen point has a neighbour up and to the right, where the note would go by default
    List<SearchPoint> points =
        List.of(
            new SearchPoint("a", 4, 100_000_000, 10L << 30, true, false),
            new SearchPoint("b", 8, 50_000_000, 40L << 30, true, true),
            new SearchPoint("c", 8, 58_000_000, 46L << 30, true, false),
            new SearchPoint("d", 16, 40_000_000, 80L << 30, true, false));
    XYPointerAnnotation note = onlyNote(SearchCharts.pareto(points, 0, "pareto"));
    assertThat(note.getAngle()).isNotEqualTo(-Math.PI / 4);
  }

  @Test
  void subtitlesSayWhichCandidatesAreShown() {
    List<SearchPoint> points = TestTimelines.search();
    String note = "9 of 77 simulated candidates shown";
    assertThat(ChartFiles.svg(SearchCharts.pareto(points, 80L << 30, "p", note), 800, 500))
        .contains(note);
    assertThat(ChartFiles.svg(SearchCharts.landscape(points, "l", note), 800, 500)).contains(note);
  }

  private static XYPointerAnnotation onlyNote(JFreeChart chart) {
    List<XYAnnotation> notes = ((XYPlot) chart.getPlot()).getAnnotations();
    assertThat(notes).hasSize(1).first().isInstanceOf(XYPointerAnnotation.class);
    return (XYPointerAnnotation) notes.get(0);
  }
}
