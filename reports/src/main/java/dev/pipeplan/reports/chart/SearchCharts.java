package dev.pipeplan.reports.chart;

import dev.pipeplan.models.Checks;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYPointerAnnotation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.SeriesRenderingOrder;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.chart.util.ShapeUtils;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Pictures of a plan search: the landscape (iteration time against micro-batch count, one line per
 * schedule kind, each point the best feasible candidate of that kind and count) and the Pareto
 * front of iteration time against peak memory. The chosen plan is marked on both; candidates that
 * do not fit in memory are grey crosses.
 */
public final class SearchCharts {
  public static final int DEFAULT_WIDTH_PIXELS = 1000;
  public static final int DEFAULT_HEIGHT_PIXELS = 560;

  private static final Color INFEASIBLE = new Color(0xB0B0B0);
  private static final Color CANDIDATE = new Color(0x8C8C8C);
  private static final Color CHOSEN = new Color(0xD55E00);
  private static final Color FRONT = new Color(0x0072B2);
  private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 16);
  private static final Font SMALL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

  private SearchCharts() {}

  public static void writeLandscape(List<SearchPoint> points, Path out) {
    ChartFiles.write(
        landscape(points, "Search landscape: iteration time vs micro-batches"),
        out,
        DEFAULT_WIDTH_PIXELS,
        DEFAULT_HEIGHT_PIXELS);
  }

  public static void writePareto(List<SearchPoint> points, long memoryLimitBytes, Path out) {
    ChartFiles.write(
        pareto(points, memoryLimitBytes, "Iteration time vs peak memory"),
        out,
        DEFAULT_WIDTH_PIXELS,
        DEFAULT_HEIGHT_PIXELS);
  }

  /** Iteration time against micro-batch count (log scale), one line per schedule kind. */
  public static JFreeChart landscape(List<SearchPoint> points, String title) {
    return landscape(points, title, "");
  }

  /**
   * Iteration time against micro-batch count (log scale), one line per schedule kind, with {@code
   * note} (say, which candidates the points are) added to the subtitle when not empty.
   */
  public static JFreeChart landscape(List<SearchPoint> points, String title, String note) {
    Objects.requireNonNull(points, "points");
    Objects.requireNonNull(note, "note");
    Checks.nonBlank("chart title", title);
    Map<String, TreeMap<Integer, Long>> best = new LinkedHashMap<>();
    XYSeries infeasible = new XYSeries("does not fit in memory", false, true);
    XYSeries chosen = new XYSeries("chosen plan", false, true);
    int minM = Integer.MAX_VALUE;
    int maxM = 1;
    for (SearchPoint p : points) {
      minM = Math.min(minM, p.microBatchCount());
      maxM = Math.max(maxM, p.microBatchCount());
      if (p.chosen()) {
        chosen.add(p.microBatchCount(), p.iterationNanos() / 1e6);
      }
      if (!p.feasible()) {
        infeasible.add(p.microBatchCount(), p.iterationNanos() / 1e6);
        continue;
      }
      best.computeIfAbsent(p.kind(), k -> new TreeMap<>())
          .merge(p.microBatchCount(), p.iterationNanos(), Math::min);
    }
    XYSeriesCollection dataset = new XYSeriesCollection();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    int series = 0;
    for (Map.Entry<String, TreeMap<Integer, Long>> e : best.entrySet()) {
      XYSeries s = new XYSeries(e.getKey(), true, false);
      for (Map.Entry<Integer, Long> point : e.getValue().entrySet()) {
        s.add(point.getKey().doubleValue(), point.getValue() / 1e6);
      }
      dataset.addSeries(s);
      renderer.setSeriesPaint(series, Palettes.categorical(series));
      // each later kind is drawn thinner and smaller, so kinds whose points coincide stay visible
      // as nested lines
      float width = Math.max(1.2f, 6.0f - 2.2f * series);
      renderer.setSeriesStroke(series, new BasicStroke(width));
      double r = Math.max(2.5, 6.0 - 1.0 * series);
      renderer.setSeriesShape(series, new Ellipse2D.Double(-r, -r, 2 * r, 2 * r));
      series++;
    }
    series = addMarkers(dataset, renderer, series, infeasible, chosen);

    LogAxis m = new LogAxis("micro-batches per iteration (m, log scale)");
    m.setBase(2);
    m.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    m.setNumberFormatOverride(new DecimalFormat("0"));
    m.setLabelFont(SMALL_FONT);
    if (minM == Integer.MAX_VALUE) {
      minM = 1;
    }
    m.setRange(Math.max(0.5, minM / 1.4), maxM * 1.4);
    NumberAxis time = new NumberAxis("predicted iteration time (ms)");
    time.setAutoRangeIncludesZero(false);
    time.setLabelFont(SMALL_FONT);
    XYPlot plot = plot(dataset, m, time, renderer);
    // series 0 (the widest line) first, so that the thinner lines of later kinds stay visible on
    // top of it
    plot.setSeriesRenderingOrder(SeriesRenderingOrder.FORWARD);
    for (SearchPoint p : points) {
      if (p.chosen()) {
        List<double[]> others = new ArrayList<>();
        for (int si = 0; si < dataset.getSeriesCount(); si++) {
          for (int i = 0; i < dataset.getItemCount(si); i++) {
            others.add(new double[] {log2(dataset.getXValue(si, i)), dataset.getYValue(si, i)});
          }
        }
        plot.addAnnotation(
            chosenNote(
                p,
                p.microBatchCount(),
                p.iterationNanos() / 1e6,
                log2(p.microBatchCount()),
                others));
        break;
      }
    }
    String subtitle =
        "each point: the fastest feasible candidate of that kind and micro-batch count";
    return chart(title, plot, note.isEmpty() ? subtitle : subtitle + "; " + note);
  }

  /**
   * Iteration time against peak memory for every candidate, the Pareto front (no other candidate is
   * both faster and smaller) as a line, the device memory limit (if above zero) as a dashed line,
   * and the chosen plan marked.
   */
  public static JFreeChart pareto(List<SearchPoint> points, long memoryLimitBytes, String title) {
    return pareto(points, memoryLimitBytes, title, "");
  }

  /**
   * The Pareto chart with {@code note} (say, which candidates the points are) added to the subtitle
   * when not empty.
   */
  public static JFreeChart pareto(
      List<SearchPoint> points, long memoryLimitBytes, String title, String note) {
    Objects.requireNonNull(points, "points");
    Objects.requireNonNull(note, "note");
    Checks.nonBlank("chart title", title);
    Checks.nonNegative("memoryLimitBytes", memoryLimitBytes);
    long pointsMaxBytes = 0;
    for (SearchPoint p : points) {
      pointsMaxBytes = Math.max(pointsMaxBytes, p.peakMemoryBytes());
    }
    // a limit far above every candidate would squash them against the axis: leave it off the scale
    // and say so
    boolean limitOnScale =
        memoryLimitBytes > 0
            && !(pointsMaxBytes > 0
                && pointsMaxBytes < memoryLimitBytes * MemoryChart.OFF_SCALE_FRACTION);
    long maxBytes = limitOnScale ? Math.max(memoryLimitBytes, pointsMaxBytes) : pointsMaxBytes;
    ByteUnit unit = ByteUnit.forMax(maxBytes);
    XYSeries candidates = new XYSeries("candidate", false, true);
    XYSeries infeasible = new XYSeries("does not fit in memory", false, true);
    XYSeries chosen = new XYSeries("chosen plan", false, true);
    SearchPoint chosenPoint = null;
    for (SearchPoint p : points) {
      (p.feasible() ? candidates : infeasible)
          .add(unit.of(p.peakMemoryBytes()), p.iterationNanos() / 1e6);
      if (p.chosen()) {
        chosen.add(unit.of(p.peakMemoryBytes()), p.iterationNanos() / 1e6);
        chosenPoint = p;
      }
    }
    XYSeries front = new XYSeries("Pareto front", false, false);
    for (SearchPoint p : paretoFront(points)) {
      front.add(unit.of(p.peakMemoryBytes()), p.iterationNanos() / 1e6);
    }
    XYSeriesCollection dataset = new XYSeriesCollection();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
    dataset.addSeries(candidates);
    renderer.setSeriesPaint(0, CANDIDATE);
    renderer.setSeriesShape(0, new Ellipse2D.Double(-3, -3, 6, 6));
    dataset.addSeries(front);
    renderer.setSeriesPaint(1, FRONT);
    renderer.setSeriesLinesVisible(1, true);
    renderer.setSeriesStroke(1, new BasicStroke(2f));
    renderer.setSeriesShape(1, new Ellipse2D.Double(-4, -4, 8, 8));
    addMarkers(dataset, renderer, 2, infeasible, chosen);

    NumberAxis memory = new NumberAxis("predicted peak memory per device (" + unit.symbol() + ")");
    memory.setLabelFont(SMALL_FONT);
    memory.setAutoRangeIncludesZero(true);
    NumberAxis time = new NumberAxis("predicted iteration time (ms)");
    time.setAutoRangeIncludesZero(false);
    time.setLabelFont(SMALL_FONT);
    XYPlot plot = plot(dataset, memory, time, renderer);
    if (limitOnScale) {
      ValueMarker limit =
          new ValueMarker(
              unit.of(memoryLimitBytes),
              CHOSEN,
              new BasicStroke(
                  1.5f,
                  BasicStroke.CAP_BUTT,
                  BasicStroke.JOIN_MITER,
                  10f,
                  new float[] {6f, 4f},
                  0f));
      limit.setLabel("memory limit " + ByteUnit.format(memoryLimitBytes));
      limit.setLabelFont(SMALL_FONT);
      limit.setLabelPaint(CHOSEN);
      limit.setLabelBackgroundColor(new Color(255, 255, 255, 210));
      // the label goes on the side of the line with more room
      boolean roomOnRight = memoryLimitBytes < maxBytes / 2;
      limit.setLabelAnchor(roomOnRight ? RectangleAnchor.TOP_RIGHT : RectangleAnchor.TOP_LEFT);
      limit.setLabelTextAnchor(roomOnRight ? TextAnchor.TOP_LEFT : TextAnchor.TOP_RIGHT);
      limit.setLabelOffset(new RectangleInsets(4, 4, 4, 4));
      plot.addDomainMarker(limit);
      memory.setAutoRange(false);
      memory.setRange(0, unit.of(maxBytes) * 1.08);
    }
    if (chosenPoint != null) {
      List<double[]> others = new ArrayList<>();
      for (SearchPoint p : points) {
        others.add(new double[] {unit.of(p.peakMemoryBytes()), p.iterationNanos() / 1e6});
      }
      double x = unit.of(chosenPoint.peakMemoryBytes());
      plot.addAnnotation(chosenNote(chosenPoint, x, chosenPoint.iterationNanos() / 1e6, x, others));
    }
    String subtitle =
        String.format(
            Locale.ROOT,
            "%d candidates, %d on the Pareto front",
            points.size(),
            front.getItemCount());
    if (memoryLimitBytes > 0 && !limitOnScale) {
      subtitle += "; the memory limit (" + ByteUnit.format(memoryLimitBytes) + ") is off the scale";
    }
    if (!note.isEmpty()) {
      subtitle += "; " + note;
    }
    return chart(title, plot, subtitle);
  }

  /**
   * Feasible points that no other feasible point beats on both time and memory, by ascending
   * memory.
   */
  public static List<SearchPoint> paretoFront(List<SearchPoint> points) {
    List<SearchPoint> feasible = new ArrayList<>();
    for (SearchPoint p : points) {
      if (p.feasible()) {
        feasible.add(p);
      }
    }
    feasible.sort(
        Comparator.comparingLong(SearchPoint::peakMemoryBytes)
            .thenComparingLong(SearchPoint::iterationNanos)
            .thenComparing(SearchPoint::kind)
            .thenComparingInt(SearchPoint::microBatchCount));
    List<SearchPoint> front = new ArrayList<>();
    long bestTime = Long.MAX_VALUE;
    for (SearchPoint p : feasible) {
      if (p.iterationNanos() < bestTime) {
        front.add(p);
        bestTime = p.iterationNanos();
      }
    }
    return front;
  }

  /**
   * The "chosen" note: an arrow whose tip is exactly the chosen point ({@code x}, {@code y} in data
   * coordinates), with its text at the end of the arrow in whichever of eight directions lies
   * farthest from the other points, so that the note never sits on another point.
   *
   * @param layoutX the chosen point's x as the axis spaces it (log2 m on a log axis)
   * @param others every plotted point as {layout x, y}
   */
  static XYPointerAnnotation chosenNote(
      SearchPoint chosen, double x, double y, double layoutX, List<double[]> others) {
    double minX = layoutX;
    double maxX = layoutX;
    double minY = y;
    double maxY = y;
    for (double[] o : others) {
      minX = Math.min(minX, o[0]);
      maxX = Math.max(maxX, o[0]);
      minY = Math.min(minY, o[1]);
      maxY = Math.max(maxY, o[1]);
    }
    double spanX = maxX > minX ? maxX - minX : 1;
    double spanY = maxY > minY ? maxY - minY : 1;
    // Java2D angles: 0 points right, pi/2 down. Upper right first: the usual free corner.
    double[] angles = {-Math.PI / 4, -3 * Math.PI / 4, Math.PI / 4, 3 * Math.PI / 4, 0, Math.PI};
    double best = -1;
    double bestAngle = angles[0];
    for (double angle : angles) {
      double cos = Math.cos(angle);
      double sin = Math.sin(angle);
      // the text's centre, in plot fractions: arrow of about 6% across and 12% up or down, then
      // half the text (about 20% of the width) further out
      double tx = (layoutX - minX) / spanX + cos * 0.06 + Math.signum(cos) * 0.10;
      double ty = (y - minY) / spanY - sin * 0.12;
      double nearest = Double.MAX_VALUE;
      for (double[] o : others) {
        double dx = ((o[0] - minX) / spanX - tx) / 0.12;
        double dy = ((o[1] - minY) / spanY - ty) / 0.06;
        nearest = Math.min(nearest, dx * dx + dy * dy);
      }
      // stay inside the plot
      if (tx < 0.1 || tx > 0.9 || ty < -0.05 || ty > 1.05) {
        nearest *= 0.25;
      }
      if (nearest > best + 1e-9) {
        best = nearest;
        bestAngle = angle;
      }
    }
    XYPointerAnnotation note =
        new XYPointerAnnotation(
            "chosen: " + chosen.kind() + ", m=" + chosen.microBatchCount(), x, y, bestAngle);
    note.setFont(SMALL_FONT);
    note.setPaint(CHOSEN);
    note.setArrowPaint(CHOSEN);
    note.setTipRadius(7);
    note.setBaseRadius(45);
    note.setLabelOffset(4);
    double cos = Math.cos(bestAngle);
    double sin = Math.sin(bestAngle);
    note.setTextAnchor(
        Math.abs(cos) < 1e-6
            ? (sin > 0 ? TextAnchor.TOP_CENTER : TextAnchor.BOTTOM_CENTER)
            : cos > 0
                ? (Math.abs(sin) < 1e-6
                    ? TextAnchor.HALF_ASCENT_LEFT
                    : sin > 0 ? TextAnchor.TOP_LEFT : TextAnchor.BOTTOM_LEFT)
                : (Math.abs(sin) < 1e-6
                    ? TextAnchor.HALF_ASCENT_RIGHT
                    : sin > 0 ? TextAnchor.TOP_RIGHT : TextAnchor.BOTTOM_RIGHT));
    return note;
  }

  private static double log2(double v) {
    return Math.log(Math.max(v, 1e-9)) / Math.log(2);
  }

  private static int addMarkers(
      XYSeriesCollection dataset,
      XYLineAndShapeRenderer renderer,
      int series,
      XYSeries infeasible,
      XYSeries chosen) {
    int next = series;
    if (infeasible.getItemCount() > 0) {
      dataset.addSeries(infeasible);
      renderer.setSeriesPaint(next, INFEASIBLE);
      renderer.setSeriesLinesVisible(next, false);
      renderer.setSeriesShape(next, ShapeUtils.createDiagonalCross(3.5f, 0.6f));
      next++;
    }
    if (chosen.getItemCount() > 0) {
      dataset.addSeries(chosen);
      renderer.setSeriesPaint(next, CHOSEN);
      renderer.setSeriesLinesVisible(next, false);
      Shape diamond = ShapeUtils.createDiamond(8f);
      renderer.setSeriesShape(next, diamond);
      next++;
    }
    return next;
  }

  private static XYPlot plot(
      XYSeriesCollection dataset, ValueAxis x, NumberAxis y, XYLineAndShapeRenderer renderer) {
    XYPlot plot = new XYPlot(dataset, x, y, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xD0D0D0));
    plot.setRangeGridlinePaint(new Color(0xD0D0D0));
    plot.setOutlinePaint(new Color(0xBBBBBB));
    return plot;
  }

  private static JFreeChart chart(String title, XYPlot plot, String subtitle) {
    JFreeChart chart = new JFreeChart(title, TITLE_FONT, plot, false);
    chart.setBackgroundPaint(Color.WHITE);
    chart.addSubtitle(new TextTitle(subtitle, SMALL_FONT));
    LegendTitle legend = new LegendTitle(plot);
    legend.setItemFont(SMALL_FONT);
    legend.setPosition(RectangleEdge.BOTTOM);
    chart.addSubtitle(legend);
    return chart;
  }
}
