package dev.pipeplan.reports.chart;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.simulator.timeline.MemoryPoint;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Rectangle2D;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Memory in use over one iteration, one step line per device (from the timeline's {@link
 * MemoryPoint}s, each level held until the next point and the last one to the iteration's end),
 * with each device's memory limit drawn as a dashed line (unless the peak is under a quarter of the
 * limit: then the limit would flatten the lines, and the subtitle gives it instead). Up to {@value
 * #LEGEND_DEVICE_LIMIT} devices get categorical colours and a legend; more are coloured along
 * viridis by device index with a colour bar instead.
 */
public final class MemoryChart {
  public static final int DEFAULT_WIDTH_PIXELS = 1400;
  public static final int DEFAULT_HEIGHT_PIXELS = 520;
  static final int LEGEND_DEVICE_LIMIT = 8;

  /** A limit more than four times the peak is left off the scale (see {@link #create}). */
  static final double OFF_SCALE_FRACTION = 0.25;

  private static final Color LIMIT = new Color(0xD55E00);
  private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 16);
  private static final Font SMALL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

  private MemoryChart() {}

  /** Writes the chart with a default title and size; PNG or SVG by the file's extension. */
  public static void write(Timeline timeline, List<Long> memoryLimitBytes, Path out) {
    Objects.requireNonNull(timeline, "timeline");
    write(
        timeline,
        memoryLimitBytes,
        out,
        "Memory over time: " + timeline.scheduleName() + " (" + timeline.source() + ")",
        DEFAULT_WIDTH_PIXELS,
        DEFAULT_HEIGHT_PIXELS);
  }

  public static void write(
      Timeline timeline,
      List<Long> memoryLimitBytes,
      Path out,
      String title,
      int widthPixels,
      int heightPixels) {
    ChartFiles.write(create(timeline, memoryLimitBytes, title), out, widthPixels, heightPixels);
  }

  /**
   * The chart.
   *
   * @param memoryLimitBytes each device's memory limit, one per device, or empty to draw none
   */
  public static JFreeChart create(Timeline timeline, List<Long> memoryLimitBytes, String title) {
    Objects.requireNonNull(timeline, "timeline");
    Objects.requireNonNull(memoryLimitBytes, "memoryLimitBytes");
    Checks.nonBlank("chart title", title);
    int p = timeline.deviceCount();
    if (!memoryLimitBytes.isEmpty() && memoryLimitBytes.size() != p) {
      throw new BadInputException(
          "memory limits are given for "
              + memoryLimitBytes.size()
              + " devices but the "
              + "timeline has "
              + p);
    }
    long peakBytes = peak(timeline);
    long smallestLimit = Long.MAX_VALUE;
    for (long limit : memoryLimitBytes) {
      smallestLimit = Math.min(smallestLimit, limit);
    }
    // a limit far above the peak would flatten every line onto the axis: then leave it off the
    // scale and say so
    boolean limitsOnScale =
        !memoryLimitBytes.isEmpty()
            && !(peakBytes > 0 && peakBytes < smallestLimit * OFF_SCALE_FRACTION);
    long maxBytes = peakBytes;
    if (limitsOnScale) {
      for (long limit : memoryLimitBytes) {
        maxBytes = Math.max(maxBytes, limit);
      }
    }
    ByteUnit unit = ByteUnit.forMax(maxBytes);

    List<XYSeries> series = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      XYSeries s = new XYSeries("device " + d, false, true);
      series.add(s);
    }
    double endMs = lastEndNanos(timeline) / 1e6;
    double[] lastLevel = new double[p];
    for (MemoryPoint m : timeline.memory()) {
      if (m.device() >= p) {
        throw new BadInputException(
            "timeline '"
                + timeline.scheduleName()
                + "' has "
                + p
                + " devices but a memory point on device "
                + m.device());
      }
      series.get(m.device()).add(m.timeNanos() / 1e6, unit.of(m.bytes()), false);
      lastLevel[m.device()] = unit.of(m.bytes());
    }
    XYSeriesCollection dataset = new XYSeriesCollection();
    for (int d = 0; d < p; d++) {
      XYSeries s = series.get(d);
      if (s.getItemCount() > 0) {
        s.add(Math.max(endMs, s.getMaxX()), lastLevel[d], false);
      }
      dataset.addSeries(s);
    }

    XYStepRenderer renderer = new XYStepRenderer();
    renderer.setDefaultShapesVisible(false);
    float width = p <= LEGEND_DEVICE_LIMIT ? 1.6f : 1.0f;
    for (int d = 0; d < p; d++) {
      renderer.setSeriesPaint(
          d,
          p <= LEGEND_DEVICE_LIMIT
              ? Palettes.categorical(d)
              : Palettes.viridis(p == 1 ? 0 : (double) d / (p - 1)));
      renderer.setSeriesStroke(d, new BasicStroke(width));
    }
    renderer.setDefaultLegendShape(new Rectangle2D.Double(-7, -2, 14, 4));

    NumberAxis time = new NumberAxis("time (ms)");
    time.setRange(0, Math.max(endMs, 1e-6) * 1.005);
    time.setLabelFont(SMALL_FONT);
    NumberAxis bytes = new NumberAxis("memory in use (" + unit.symbol() + ")");
    bytes.setLabelFont(SMALL_FONT);
    bytes.setRange(0, Math.max(unit.of(maxBytes), 1e-9) * 1.12);

    XYPlot plot = new XYPlot(dataset, time, bytes, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xD0D0D0));
    plot.setRangeGridlinePaint(new Color(0xD0D0D0));
    plot.setOutlinePaint(new Color(0xBBBBBB));
    for (Map.Entry<Long, String> e :
        (limitsOnScale ? limitLabels(memoryLimitBytes) : Map.<Long, String>of()).entrySet()) {
      ValueMarker marker =
          new ValueMarker(
              unit.of(e.getKey()),
              LIMIT,
              new BasicStroke(
                  1.6f,
                  BasicStroke.CAP_BUTT,
                  BasicStroke.JOIN_MITER,
                  10f,
                  new float[] {6f, 4f},
                  0f));
      marker.setLabel(e.getValue());
      marker.setLabelFont(SMALL_FONT);
      marker.setLabelPaint(LIMIT);
      marker.setLabelBackgroundColor(new Color(255, 255, 255, 210));
      marker.setLabelAnchor(RectangleAnchor.TOP_LEFT);
      marker.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
      marker.setLabelOffset(new RectangleInsets(2, 6, 2, 2));
      plot.addRangeMarker(marker, Layer.FOREGROUND);
    }

    JFreeChart chart = new JFreeChart(title, TITLE_FONT, plot, false);
    chart.setBackgroundPaint(Color.WHITE);
    String note =
        timeline.memory().isEmpty()
            ? "no memory levels recorded in this timeline"
            : String.format(
                Locale.ROOT, "peak %s; static memory included", ByteUnit.format(peakBytes));
    if (!limitsOnScale && !memoryLimitBytes.isEmpty() && peakBytes > 0) {
      note +=
          String.format(
              Locale.ROOT,
              "; the limit (%s) is off the scale: the peak uses %.1f%% of it",
              ByteUnit.format(smallestLimit),
              100.0 * peakBytes / smallestLimit);
    }
    chart.addSubtitle(new TextTitle(note, SMALL_FONT));
    if (p <= LEGEND_DEVICE_LIMIT) {
      LegendTitle legend = new LegendTitle(plot);
      legend.setItemFont(SMALL_FONT);
      legend.setPosition(RectangleEdge.BOTTOM);
      chart.addSubtitle(legend);
    } else {
      LookupPaintScale scale = new LookupPaintScale(0, p, Color.GRAY);
      for (int d = 0; d < p; d++) {
        scale.add(d, Palettes.viridis((double) d / (p - 1)));
      }
      NumberAxis deviceAxis = new NumberAxis("device");
      deviceAxis.setRange(0, p);
      deviceAxis.setLabelFont(SMALL_FONT);
      deviceAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
      PaintScaleLegend legend = new PaintScaleLegend(scale, deviceAxis);
      legend.setPosition(RectangleEdge.BOTTOM);
      legend.setStripWidth(10);
      legend.setMargin(new RectangleInsets(4, 60, 4, 60));
      chart.addSubtitle(legend);
    }
    return chart;
  }

  /** Distinct limits, each with a label that names its devices when not every device shares it. */
  private static Map<Long, String> limitLabels(List<Long> limits) {
    Map<Long, List<Integer>> devices = new TreeMap<>();
    for (int d = 0; d < limits.size(); d++) {
      devices
          .computeIfAbsent(
              Checks.positive("memory limit of device " + d, limits.get(d)), k -> new ArrayList<>())
          .add(d);
    }
    Map<Long, String> labels = new TreeMap<>();
    for (Map.Entry<Long, List<Integer>> e : devices.entrySet()) {
      String label = "limit " + ByteUnit.format(e.getKey());
      if (devices.size() > 1) {
        List<Integer> ds = e.getValue();
        label += ds.size() == 1 ? " (device " + ds.get(0) + ")" : " (" + ds.size() + " devices)";
      }
      labels.put(e.getKey(), label);
    }
    return labels;
  }

  private static long peak(Timeline timeline) {
    long peak = 0;
    for (MemoryPoint m : timeline.memory()) {
      peak = Math.max(peak, m.bytes());
    }
    return peak;
  }

  private static long lastEndNanos(Timeline timeline) {
    long end = 0;
    for (TimedAction a : timeline.actions()) {
      end = Math.max(end, a.endNanos());
    }
    return end;
  }
}
