package dev.pipeplan.reports.chart;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.reports.summary.TimelineSummary;
import dev.pipeplan.simulator.compare.Comparison;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import dev.pipeplan.simulator.timeline.Transfer;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;

/**
 * Gantt charts of timelines: one row per device (device 0 at the top), time in milliseconds across,
 * one bar per action coloured by its type ({@link BarCategory}), the micro-batch number on each bar
 * wide enough to hold it, idle time left blank, and transfers (where the timeline has them) as a
 * thin grey strip under the receiving device's bars. The paired form draws a predicted and a
 * measured timeline of one plan on one time axis, the measured row under the predicted row of each
 * device.
 *
 * <p>In SVG every action is one {@code <rect>} with the id {@code action-d<device>-<action>}
 * (paired: {@code predicted-d0-2F5}, {@code measured-d0-2F5}) and every transfer one with the id
 * {@code comm-...}, so that tools and tests can find them.
 */
public final class GanttChart {
  public static final int DEFAULT_WIDTH_PIXELS = 1400;

  /**
   * Above this many bars no labels are drawn at all: none would fit, and measuring them costs time.
   */
  static final int LABEL_BAR_LIMIT = 50_000;

  /**
   * Above this many actions per device (bars under about two pixels at the default width) transfers
   * are left out: sub-pixel transfer strips would paint over the actions they sit under.
   */
  static final int TRANSFER_ACTIONS_PER_DEVICE_LIMIT = 600;

  private static final Color BAND = new Color(0xF2F2F2);
  private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 16);
  private static final Font SUBTITLE_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

  private GanttChart() {}

  /**
   * Writes the timeline's Gantt chart with a default title and size; PNG or SVG by the file's
   * extension.
   */
  public static void write(Timeline timeline, Path out) {
    Objects.requireNonNull(timeline, "timeline");
    write(
        timeline,
        out,
        defaultTitle(timeline),
        DEFAULT_WIDTH_PIXELS,
        defaultHeightPixels(timeline.deviceCount()));
  }

  /**
   * Writes the timeline's Gantt chart with a title and size; PNG or SVG by the file's extension.
   */
  public static void write(
      Timeline timeline, Path out, String title, int widthPixels, int heightPixels) {
    ChartFiles.write(create(timeline, title, heightPixels), out, widthPixels, heightPixels);
  }

  /** Writes the paired predicted/measured chart with a default title and size. */
  public static void writePaired(Timeline predicted, Timeline measured, Path out) {
    Objects.requireNonNull(predicted, "predicted");
    int height = defaultHeightPixels(2 * predicted.deviceCount());
    JFreeChart chart =
        createPaired(
            predicted, measured, "Predicted vs measured: " + predicted.scheduleName(), height);
    ChartFiles.write(chart, out, DEFAULT_WIDTH_PIXELS, height);
  }

  /** "1f1b (predicted): 4 devices, 8 micro-batches". */
  public static String defaultTitle(Timeline timeline) {
    TimelineSummary s = TimelineSummary.of(timeline);
    return timeline.scheduleName()
        + " ("
        + timeline.source()
        + "): "
        + plural(timeline.deviceCount(), "device")
        + ", "
        + plural(s.microBatchCount(), "micro-batch");
  }

  /**
   * A height that gives each of {@code rows} rows room to read: tall rows for a few devices, thin
   * ones for many.
   */
  public static int defaultHeightPixels(int rows) {
    Checks.positive("chart rows", rows);
    int rowPixels = rows <= 4 ? 56 : rows <= 16 ? 34 : rows <= 48 ? 22 : 15;
    return Math.min(ChartFiles.MAX_SIDE_PIXELS, 170 + rows * rowPixels);
  }

  /**
   * The chart of one timeline.
   *
   * @param heightPixels the height the chart will be drawn at: it sets the label font and whether
   *     labels are drawn
   */
  public static JFreeChart create(Timeline timeline, String title, int heightPixels) {
    Objects.requireNonNull(timeline, "timeline");
    Checks.nonBlank("chart title", title);
    int p = timeline.deviceCount();
    String[] rowLabels = new String[p];
    for (int d = 0; d < p; d++) {
      rowLabels[d] = "device " + d;
    }
    GanttDataset.Builder bars = GanttDataset.builder();
    addTrack(bars, timeline, 1, 0, "action-");
    TimelineSummary s = TimelineSummary.of(timeline);
    String subtitle =
        String.format(
            Locale.ROOT,
            "%s: iteration %s ms, bubble %.1f%%, %d actions%s",
            timeline.source(),
            ms(s.iterationNanos()),
            100 * s.bubbleRatio(),
            timeline.actions().size(),
            timeline.transfers().isEmpty() || showsTransfers(timeline)
                ? ""
                : " (transfers not drawn at this scale)");
    return chart(
        title,
        List.of(subtitle),
        bars.build(),
        rowLabels,
        1,
        heightPixels,
        timeline.makespanNanos() + firstStartNanos(timeline));
  }

  /**
   * The predicted and measured timelines of one plan as paired rows per device on one time axis,
   * with the iteration and per-action errors (the simulator's {@link Comparison}) in the subtitles.
   *
   * @param heightPixels the height the chart will be drawn at: it sets the label font and whether
   *     labels are drawn
   */
  public static JFreeChart createPaired(
      Timeline predicted, Timeline measured, String title, int heightPixels) {
    Objects.requireNonNull(predicted, "predicted");
    Objects.requireNonNull(measured, "measured");
    Checks.nonBlank("chart title", title);
    if (predicted.deviceCount() != measured.deviceCount()) {
      throw new BadInputException(
          "measured run has "
              + measured.deviceCount()
              + " devices but the plan has "
              + predicted.deviceCount()
              + "; compare a run of the same plan");
    }
    int p = predicted.deviceCount();
    String[] rowLabels = new String[2 * p];
    for (int d = 0; d < p; d++) {
      rowLabels[2 * d] = "dev " + d + " predicted";
      rowLabels[2 * d + 1] = "dev " + d + " measured";
    }
    GanttDataset.Builder bars = GanttDataset.builder();
    addTrack(bars, predicted, 2, 0, "predicted-");
    addTrack(bars, measured, 2, 1, "measured-");
    Comparison c = Comparison.of(predicted, measured);
    List<String> subtitles = new ArrayList<>();
    subtitles.add(
        String.format(
            Locale.ROOT,
            "iteration: predicted %s ms, measured %s ms (prediction error %+.1f%% of measured)",
            ms(c.predictedIterationNanos()),
            ms(c.measuredIterationNanos()),
            100 * c.iterationError()));
    subtitles.add(
        String.format(
            Locale.ROOT,
            "per-action duration error: median %.1f%%, p90 %.1f%% over %d matched actions (%d unmatched)",
            100 * c.medianActionError(),
            100 * c.p90ActionError(),
            c.actions().size(),
            c.unmatchedActions()));
    long end =
        Math.max(
            predicted.makespanNanos() + firstStartNanos(predicted),
            measured.makespanNanos() + firstStartNanos(measured));
    return chart(title, subtitles, bars.build(), rowLabels, 2, heightPixels, end);
  }

  /**
   * Whether a timeline's transfers are drawn: when it has some and its bars are wide enough to show
   * them.
   */
  static boolean showsTransfers(Timeline timeline) {
    return !timeline.transfers().isEmpty()
        && timeline.actions().size()
            <= (long) TRANSFER_ACTIONS_PER_DEVICE_LIMIT * timeline.deviceCount();
  }

  private static void addTrack(
      GanttDataset.Builder bars, Timeline timeline, int stride, int offset, String idPrefix) {
    boolean hasTransfers = showsTransfers(timeline);
    double barTop = -0.40;
    double barBottom = hasTransfers ? 0.17 : 0.40;
    Set<String> ids = new HashSet<>();
    for (TimedAction a : timeline.actions()) {
      checkDevice(timeline, a.device());
      int row = a.device() * stride + offset;
      String id = unique(ids, idPrefix + "d" + a.device() + "-" + a.action());
      bars.add(
          BarCategory.of(a.action().type()),
          a.startNanos(),
          a.endNanos(),
          row,
          row + barTop,
          row + barBottom,
          Integer.toString(a.action().microBatch()),
          id);
    }
    for (Transfer t : hasTransfers ? timeline.transfers() : List.<Transfer>of()) {
      checkDevice(timeline, t.toDevice());
      int row = t.toDevice() * stride + offset;
      String id =
          unique(
              ids,
              "comm-"
                  + idPrefix
                  + "d"
                  + t.fromDevice()
                  + "-d"
                  + t.toDevice()
                  + "-"
                  + t.producer()
                  + "-"
                  + t.consumer());
      bars.add(BarCategory.COMM, t.startNanos(), t.endNanos(), row, row + 0.22, row + 0.40, "", id);
    }
  }

  private static JFreeChart chart(
      String title,
      List<String> subtitles,
      GanttDataset dataset,
      String[] rowLabels,
      int rowsPerDevice,
      int heightPixels,
      long endNanos) {
    int rows = rowLabels.length;
    double rowPixels = Math.max(4.0, (heightPixels - 170.0) / rows);
    int labelPoints = (int) Math.max(8, Math.min(11, Math.floor(rowPixels * 0.42)));
    Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, labelPoints);
    boolean labels = dataset.barCount() <= LABEL_BAR_LIMIT && rowPixels >= 12;
    GanttRenderer renderer = new GanttRenderer(labels, labelFont);

    NumberAxis time = new NumberAxis("time (ms)");
    double endMs = Math.max(endNanos / 1e6, 1e-6);
    time.setRange(0.0, endMs * 1.005);
    time.setLowerMargin(0);
    time.setUpperMargin(0);
    time.setLabelFont(SUBTITLE_FONT);

    SymbolAxis devices = new SymbolAxis(null, rowLabels);
    devices.setInverted(true);
    devices.setRange(-0.5, rows - 0.5);
    devices.setGridBandsVisible(false);
    devices.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, rowPixels < 14 ? 9 : 11));
    devices.setAxisLineVisible(false);

    XYPlot plot = new XYPlot(dataset, time, devices, renderer);
    plot.setOrientation(PlotOrientation.VERTICAL);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setOutlinePaint(new Color(0xBBBBBB));
    plot.setDomainGridlinePaint(new Color(0xD0D0D0));
    plot.setDomainGridlineStroke(new BasicStroke(0.5f));
    plot.setRangeGridlinesVisible(false);
    plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
    for (int first = rowsPerDevice; first < rows; first += 2 * rowsPerDevice) {
      plot.addRangeMarker(
          new IntervalMarker(first - 0.5, first + rowsPerDevice - 0.5, BAND), Layer.BACKGROUND);
    }
    if (rows > 24) {
      NumberAxis top = new NumberAxis(null);
      top.setRange(time.getRange());
      plot.setDomainAxis(1, top);
      plot.setDomainAxisLocation(1, AxisLocation.TOP_OR_LEFT);
    }

    JFreeChart chart = new JFreeChart(title, TITLE_FONT, plot, false);
    chart.setBackgroundPaint(Color.WHITE);
    chart.setAntiAlias(true);
    chart.setTextAntiAlias(true);
    for (String s : subtitles) {
      TextTitle t = new TextTitle(s, SUBTITLE_FONT);
      t.setPosition(RectangleEdge.TOP);
      chart.addSubtitle(t);
    }
    LegendTitle legend = new LegendTitle(plot);
    legend.setPosition(RectangleEdge.TOP);
    legend.setItemFont(SUBTITLE_FONT);
    legend.setMargin(new RectangleInsets(4, 4, 4, 4));
    chart.addSubtitle(legend);
    return chart;
  }

  private static String unique(Set<String> used, String id) {
    String candidate = id;
    for (int n = 2; !used.add(candidate); n++) {
      candidate = id + "-" + n;
    }
    return candidate;
  }

  private static void checkDevice(Timeline timeline, int device) {
    if (device >= timeline.deviceCount()) {
      throw new BadInputException(
          "timeline '"
              + timeline.scheduleName()
              + "' has "
              + timeline.deviceCount()
              + " devices but an entry on device "
              + device);
    }
  }

  private static long firstStartNanos(Timeline timeline) {
    long first = Long.MAX_VALUE;
    for (TimedAction a : timeline.actions()) {
      first = Math.min(first, a.startNanos());
    }
    return first == Long.MAX_VALUE ? 0 : first;
  }

  static String plural(int n, String noun) {
    return n + " " + (n == 1 ? noun : noun.endsWith("h") ? noun + "es" : noun + "s");
  }

  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
  }
}
