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
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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

  /**
   * Above this many actions on one device (bars under about six pixels at the default width) the
   * chart of one timeline summarises its steady state: the first and last {@value
   * #EDGE_MICROBATCHES} micro-batches are drawn in full and the stretch between them becomes one
   * labelled block per device, with a break in the time axis. The paired chart is never summarised.
   */
  public static final int SUMMARY_ACTIONS_PER_DEVICE = 200;

  /** How many micro-batches at each end a summarised chart draws in full. */
  public static final int EDGE_MICROBATCHES = 4;

  /** The steady-state block's width as a share of the time drawn in full. */
  private static final double SUMMARY_BLOCK_SHARE = 0.18;

  private static final Color BAND = new Color(0xF2F2F2);
  private static final Color BREAK = new Color(0xFAFAFA);
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
    Optional<SteadyStateCut> cut = SteadyStateCut.of(timeline);
    GanttDataset.Builder bars = GanttDataset.builder();
    addTrack(bars, timeline, 1, 0, "action-", cut);
    TimelineSummary s = TimelineSummary.of(timeline);
    List<String> subtitles = new ArrayList<>();
    // The timeline is the pipeline alone: a plan's iteration adds the data-parallel sync and the
    // optimizer step, which the report states beside it ("predicted pipeline time").
    subtitles.add(
        String.format(
            Locale.ROOT,
            "%s: pipeline time %s ms, bubble %.1f%%, %d actions%s",
            timeline.source(),
            ms(s.iterationNanos()),
            100 * s.bubbleRatio(),
            timeline.actions().size(),
            timeline.transfers().isEmpty() || showsTransfers(timeline, cut)
                ? ""
                : " (transfers not drawn at this scale)"));
    cut.ifPresent(c -> subtitles.add(c.note()));
    String legendNote = legendNote(bars.build());
    if (!legendNote.isEmpty()) {
      subtitles.add(legendNote);
    }
    long end = timeline.makespanNanos() + firstStartNanos(timeline);
    return chart(
        cut.isPresent() ? title + " (steady state summarised)" : title,
        subtitles,
        bars.build(),
        rowLabels,
        1,
        heightPixels,
        cut.map(c -> c.display(end)).orElse(end),
        cut);
  }

  /**
   * A sentence saying how the chart of {@code timeline} summarises its steady state, or empty when
   * it draws every action (for captions).
   */
  public static Optional<String> summaryNote(Timeline timeline) {
    Objects.requireNonNull(timeline, "timeline");
    return SteadyStateCut.of(timeline).map(SteadyStateCut::note);
  }

  /** What bar shading and labels mean, when the chart has chunks; empty otherwise. */
  private static String legendNote(GanttDataset dataset) {
    if (dataset.chunkCount() <= 1) {
      return "bar labels: micro-batch, then stage (s)";
    }
    return "bar labels: micro-batch, then stage (s); chunk 0 of each device solid, chunk 1"
        + (dataset.chunkCount() > 2 ? " and later lighter" : " lighter")
        + " with a dark outline (looped: chunk = stage / devices; V-shape: 0 down, 1 back up)";
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
    return createPaired(
        predicted,
        measured,
        Comparison.of(Objects.requireNonNull(predicted, "predicted"), measured),
        title,
        heightPixels);
  }

  /**
   * The same with the errors of {@code comparison} in the subtitles (a run's comparison over all
   * its measured iterations, {@link dev.pipeplan.simulator.compare.MeasuredRun#comparison}).
   */
  public static JFreeChart createPaired(
      Timeline predicted,
      Timeline measured,
      Comparison comparison,
      String title,
      int heightPixels) {
    Objects.requireNonNull(predicted, "predicted");
    Objects.requireNonNull(comparison, "comparison");
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
    addTrack(bars, predicted, 2, 0, "predicted-", Optional.empty());
    addTrack(bars, measured, 2, 1, "measured-", Optional.empty());
    Comparison c = comparison;
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
    return chart(title, subtitles, bars.build(), rowLabels, 2, heightPixels, end, Optional.empty());
  }

  /**
   * Whether a timeline's transfers are drawn: when it has some and its bars are wide enough to show
   * them.
   */
  static boolean showsTransfers(Timeline timeline) {
    return showsTransfers(timeline, Optional.empty());
  }

  private static boolean showsTransfers(Timeline timeline, Optional<SteadyStateCut> cut) {
    long drawn = timeline.actions().size() - cut.map(SteadyStateCut::summarisedActions).orElse(0);
    return !timeline.transfers().isEmpty()
        && drawn <= (long) TRANSFER_ACTIONS_PER_DEVICE_LIMIT * timeline.deviceCount();
  }

  private static void addTrack(
      GanttDataset.Builder bars,
      Timeline timeline,
      int stride,
      int offset,
      String idPrefix,
      Optional<SteadyStateCut> cut) {
    boolean hasTransfers = showsTransfers(timeline, cut);
    double barTop = -0.40;
    double barBottom = hasTransfers ? 0.17 : 0.40;
    int[][] stagesOf = stagesPerDevice(timeline);
    int[] summarised = new int[timeline.deviceCount()];
    Set<String> ids = new HashSet<>();
    for (TimedAction a : timeline.actions()) {
      checkDevice(timeline, a.device());
      int row = a.device() * stride + offset;
      String id = idPrefix + "d" + a.device() + "-" + a.action();
      int stage = a.action().stage();
      int chunk = Arrays.binarySearch(stagesOf[a.device()], stage);
      String mb = Integer.toString(a.action().microBatch());
      String label = mb + " s" + stage;
      BarCategory category = BarCategory.of(a.action().type());
      if (cut.isEmpty()) {
        bars.add(
            category,
            a.startNanos(),
            a.endNanos(),
            row,
            row + barTop,
            row + barBottom,
            label,
            mb,
            chunk,
            unique(ids, id));
        continue;
      }
      SteadyStateCut c = cut.get();
      if (c.inside(a.startNanos(), a.endNanos())) {
        summarised[a.device()]++;
        continue;
      }
      // An action that crosses an edge of the cut is drawn up to the break and from it.
      if (a.startNanos() < c.fromNanos()) {
        bars.add(
            category,
            a.startNanos(),
            Math.min(a.endNanos(), c.fromNanos()),
            row,
            row + barTop,
            row + barBottom,
            label,
            mb,
            chunk,
            unique(ids, id));
      }
      if (a.endNanos() > c.toNanos()) {
        bars.add(
            category,
            c.display(Math.max(a.startNanos(), c.toNanos())),
            c.display(a.endNanos()),
            row,
            row + barTop,
            row + barBottom,
            label,
            mb,
            chunk,
            unique(ids, id));
      }
    }
    if (cut.isPresent()) {
      SteadyStateCut c = cut.get();
      for (int d = 0; d < summarised.length; d++) {
        if (summarised[d] == 0) {
          continue;
        }
        int row = d * stride + offset;
        bars.add(
            BarCategory.STEADY_STATE,
            c.fromNanos(),
            c.fromNanos() + c.gapNanos(),
            row,
            row + barTop,
            row + barBottom,
            "steady state: " + summarised[d] + " actions",
            Integer.toString(summarised[d]),
            0,
            unique(ids, "steady-" + idPrefix + "d" + d));
      }
    }
    for (Transfer t : hasTransfers ? timeline.transfers() : List.<Transfer>of()) {
      checkDevice(timeline, t.toDevice());
      if (cut.isPresent() && !cut.get().outside(t.startNanos(), t.endNanos())) {
        continue;
      }
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
      long start = cut.map(c -> c.display(t.startNanos())).orElse(t.startNanos());
      long end = cut.map(c -> c.display(t.endNanos())).orElse(t.endNanos());
      bars.add(BarCategory.COMM, start, end, row, row + 0.22, row + 0.40, "", id);
    }
  }

  /**
   * For each device, the stages it runs in ascending order: the index of a stage in its device's
   * array is its virtual-stage chunk (looped placement: stage / p; V-shape: 0 for the stage on the
   * way down, 1 on the way back up), read from the stage-to-device placement the timeline records.
   */
  static int[][] stagesPerDevice(Timeline timeline) {
    List<TreeSet<Integer>> sets = new ArrayList<>();
    for (int d = 0; d < timeline.deviceCount(); d++) {
      sets.add(new TreeSet<>());
    }
    for (TimedAction a : timeline.actions()) {
      checkDevice(timeline, a.device());
      sets.get(a.device()).add(a.action().stage());
    }
    int[][] stages = new int[timeline.deviceCount()][];
    for (int d = 0; d < stages.length; d++) {
      stages[d] = sets.get(d).stream().mapToInt(Integer::intValue).toArray();
    }
    return stages;
  }

  private static JFreeChart chart(
      String title,
      List<String> subtitles,
      GanttDataset dataset,
      String[] rowLabels,
      int rowsPerDevice,
      int heightPixels,
      long endNanos,
      Optional<SteadyStateCut> cut) {
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
    cut.ifPresent(c -> time.setNumberFormatOverride(new BrokenAxisFormat(c)));

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
    if (cut.isPresent()) {
      SteadyStateCut c = cut.get();
      IntervalMarker gap =
          new IntervalMarker(c.fromNanos() / 1e6, (c.fromNanos() + c.gapNanos()) / 1e6, BREAK);
      gap.setOutlinePaint(new Color(0x999999));
      gap.setOutlineStroke(
          new BasicStroke(
              1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {4f, 3f}, 0f));
      plot.addDomainMarker(gap, Layer.BACKGROUND);
    }
    if (rows > 24) {
      NumberAxis top = new NumberAxis(null);
      top.setRange(time.getRange());
      cut.ifPresent(c -> top.setNumberFormatOverride(new BrokenAxisFormat(c)));
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

  /**
   * The steady-state stretch a summarised chart leaves out: every device's actions that lie wholly
   * within [{@code fromNanos}, {@code toNanos}] are drawn as one block {@code gapNanos} wide, and
   * later times move left by {@code toNanos - fromNanos - gapNanos}. {@code fromNanos} is the end
   * of the last action of the first {@value #EDGE_MICROBATCHES} micro-batches and {@code toNanos}
   * the start of the first action of the last ones, so those micro-batches are drawn in full.
   */
  record SteadyStateCut(
      long fromNanos, long toNanos, long gapNanos, int microBatchCount, int summarisedActions) {

    /** The cut for {@code timeline}, or empty when it has few enough actions to draw them all. */
    static Optional<SteadyStateCut> of(Timeline timeline) {
      int[] perDevice = new int[timeline.deviceCount()];
      int most = 0;
      for (TimedAction a : timeline.actions()) {
        checkDevice(timeline, a.device());
        most = Math.max(most, ++perDevice[a.device()]);
      }
      int m = TimelineSummary.of(timeline).microBatchCount();
      if (most <= SUMMARY_ACTIONS_PER_DEVICE || m <= 2 * EDGE_MICROBATCHES) {
        return Optional.empty();
      }
      long from = Long.MIN_VALUE;
      long to = Long.MAX_VALUE;
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (TimedAction a : timeline.actions()) {
        int j = a.action().microBatch();
        if (j < EDGE_MICROBATCHES) {
          from = Math.max(from, a.endNanos());
        }
        if (j >= m - EDGE_MICROBATCHES) {
          to = Math.min(to, a.startNanos());
        }
        first = Math.min(first, a.startNanos());
        last = Math.max(last, a.endNanos());
      }
      if (from >= to) {
        return Optional.empty();
      }
      int inside = 0;
      for (TimedAction a : timeline.actions()) {
        if (a.startNanos() >= from && a.endNanos() <= to) {
          inside++;
        }
      }
      if (inside == 0) {
        return Optional.empty();
      }
      long drawn = (last - first) - (to - from);
      long gap = Math.max(1, Math.round(drawn * SUMMARY_BLOCK_SHARE));
      // Round the shift of later times to a round number of milliseconds, so that round ticks
      // after the break stay round.
      long unit = (long) Math.pow(10, Math.floor(Math.log10(Math.max(drawn, 10)))) / 10;
      long shift = ((to - from - gap) / unit) * unit;
      if (unit > 0 && shift > 0) {
        gap = to - from - shift;
      }
      return Optional.of(new SteadyStateCut(from, to, gap, m, inside));
    }

    boolean inside(long startNanos, long endNanos) {
      return startNanos >= fromNanos && endNanos <= toNanos;
    }

    boolean outside(long startNanos, long endNanos) {
      return endNanos <= fromNanos || startNanos >= toNanos;
    }

    /** Where a time outside the cut is drawn; times inside it are spread over the block. */
    long display(long nanos) {
      if (nanos <= fromNanos) {
        return nanos;
      }
      if (nanos >= toNanos) {
        return nanos - (toNanos - fromNanos) + gapNanos;
      }
      return fromNanos
          + Math.round((double) gapNanos * (nanos - fromNanos) / (toNanos - fromNanos));
    }

    /** The real time at a drawn time, or NaN for a time inside the block. */
    double realMs(double displayMs) {
      double from = fromNanos / 1e6;
      double gap = gapNanos / 1e6;
      if (displayMs <= from) {
        return displayMs;
      }
      if (displayMs >= from + gap) {
        return displayMs - gap + (toNanos - fromNanos) / 1e6;
      }
      return Double.NaN;
    }

    String note() {
      return String.format(
          Locale.ROOT,
          "steady state summarised: micro-batches 0-%d and %d-%d drawn in full; the %,d actions"
              + " between %s and %s ms are one grey block per device, and the time axis skips"
              + " them",
          EDGE_MICROBATCHES - 1,
          microBatchCount - EDGE_MICROBATCHES,
          microBatchCount - 1,
          summarisedActions,
          ms(fromNanos),
          ms(toNanos));
    }
  }

  /** Tick labels of a time axis with a break: real times, none inside the steady-state block. */
  private static final class BrokenAxisFormat extends NumberFormat {
    private static final long serialVersionUID = 1L;
    private final SteadyStateCut cut;
    private final DecimalFormat real =
        new DecimalFormat("#,##0.###", DecimalFormatSymbols.getInstance(Locale.ROOT));

    BrokenAxisFormat(SteadyStateCut cut) {
      this.cut = cut;
    }

    @Override
    public StringBuffer format(double number, StringBuffer toAppendTo, FieldPosition pos) {
      double ms = cut.realMs(number);
      return Double.isNaN(ms) ? toAppendTo : real.format(ms, toAppendTo, pos);
    }

    @Override
    public StringBuffer format(long number, StringBuffer toAppendTo, FieldPosition pos) {
      return format((double) number, toAppendTo, pos);
    }

    @Override
    public Number parse(String source, ParsePosition parsePosition) {
      return real.parse(source, parsePosition);
    }
  }
}
