package dev.pipeplan.reports.chart;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jfree.data.xy.AbstractIntervalXYDataset;

/**
 * Gantt bars grouped into one series per {@link BarCategory} that occurs. X is time in milliseconds
 * (start to end), Y is the row (device), and the Y interval is the vertical extent of the bar in
 * row units. Each bar also carries its labels (the long one drawn when it fits, else the short
 * one), its virtual-stage chunk on its device (0 for the first stage a device runs; shades the bar)
 * and a unique element id (the SVG {@code id} of its rectangle).
 */
final class GanttDataset extends AbstractIntervalXYDataset {
  private static final long serialVersionUID = 1L;

  private final List<BarCategory> categories;
  private final List<Bars> series;
  private final int barCount;
  private final int chunkCount;

  private GanttDataset(List<BarCategory> categories, List<Bars> series, int chunkCount) {
    this.categories = List.copyOf(categories);
    this.series = List.copyOf(series);
    this.chunkCount = chunkCount;
    int n = 0;
    for (Bars b : series) {
      n += b.size;
    }
    this.barCount = n;
  }

  static Builder builder() {
    return new Builder();
  }

  int barCount() {
    return barCount;
  }

  /** The most chunks any device runs (1 for one stage per device). */
  int chunkCount() {
    return chunkCount;
  }

  int chunk(int seriesIndex, int item) {
    return series.get(seriesIndex).chunks[item];
  }

  String shortLabel(int seriesIndex, int item) {
    return series.get(seriesIndex).shortLabels[item];
  }

  /** The index of the series of {@code category}, or -1 when it has no bars. */
  int seriesOf(BarCategory category) {
    return categories.indexOf(category);
  }

  BarCategory category(int seriesIndex) {
    return categories.get(seriesIndex);
  }

  String label(int seriesIndex, int item) {
    return series.get(seriesIndex).labels[item];
  }

  String elementId(int seriesIndex, int item) {
    return series.get(seriesIndex).ids[item];
  }

  @Override
  public int getSeriesCount() {
    return categories.size();
  }

  @Override
  public Comparable<String> getSeriesKey(int seriesIndex) {
    return categories.get(seriesIndex).legendLabel();
  }

  @Override
  public int getItemCount(int seriesIndex) {
    return series.get(seriesIndex).size;
  }

  @Override
  public Number getX(int seriesIndex, int item) {
    return series.get(seriesIndex).startMs[item];
  }

  @Override
  public double getXValue(int seriesIndex, int item) {
    return series.get(seriesIndex).startMs[item];
  }

  @Override
  public Number getStartX(int seriesIndex, int item) {
    return series.get(seriesIndex).startMs[item];
  }

  @Override
  public double getStartXValue(int seriesIndex, int item) {
    return series.get(seriesIndex).startMs[item];
  }

  @Override
  public Number getEndX(int seriesIndex, int item) {
    return series.get(seriesIndex).endMs[item];
  }

  @Override
  public double getEndXValue(int seriesIndex, int item) {
    return series.get(seriesIndex).endMs[item];
  }

  @Override
  public Number getY(int seriesIndex, int item) {
    return series.get(seriesIndex).row[item];
  }

  @Override
  public double getYValue(int seriesIndex, int item) {
    return series.get(seriesIndex).row[item];
  }

  @Override
  public Number getStartY(int seriesIndex, int item) {
    return series.get(seriesIndex).lowY[item];
  }

  @Override
  public double getStartYValue(int seriesIndex, int item) {
    return series.get(seriesIndex).lowY[item];
  }

  @Override
  public Number getEndY(int seriesIndex, int item) {
    return series.get(seriesIndex).highY[item];
  }

  @Override
  public double getEndYValue(int seriesIndex, int item) {
    return series.get(seriesIndex).highY[item];
  }

  /**
   * Collects bars; series appear in {@link BarCategory} order, only for categories that have bars.
   */
  static final class Builder {
    private final Map<BarCategory, Bars> bars = new EnumMap<>(BarCategory.class);
    private int chunkCount = 1;

    /**
     * Adds one bar.
     *
     * @param row the row the bar belongs to (its Y value)
     * @param lowY top edge in row units (rows grow downwards on an inverted axis)
     * @param highY bottom edge in row units
     */
    Builder add(
        BarCategory category,
        long startNanos,
        long endNanos,
        double row,
        double lowY,
        double highY,
        String label,
        String elementId) {
      return add(category, startNanos, endNanos, row, lowY, highY, label, label, 0, elementId);
    }

    /**
     * Adds one bar with a long and a short label and its chunk.
     *
     * @param chunk the bar's virtual-stage chunk on its device, 0-based
     */
    Builder add(
        BarCategory category,
        long startNanos,
        long endNanos,
        double row,
        double lowY,
        double highY,
        String label,
        String shortLabel,
        int chunk,
        String elementId) {
      chunkCount = Math.max(chunkCount, chunk + 1);
      bars.computeIfAbsent(category, c -> new Bars())
          .add(
              startNanos / 1e6,
              endNanos / 1e6,
              row,
              lowY,
              highY,
              label,
              shortLabel,
              chunk,
              elementId);
      return this;
    }

    GanttDataset build() {
      List<BarCategory> categories = new ArrayList<>();
      List<Bars> series = new ArrayList<>();
      for (Map.Entry<BarCategory, Bars> e : bars.entrySet()) {
        categories.add(e.getKey());
        series.add(e.getValue().trimmed());
      }
      return new GanttDataset(categories, series, chunkCount);
    }
  }

  private static final class Bars {
    private double[] startMs = new double[16];
    private double[] endMs = new double[16];
    private double[] row = new double[16];
    private double[] lowY = new double[16];
    private double[] highY = new double[16];
    private String[] labels = new String[16];
    private String[] shortLabels = new String[16];
    private int[] chunks = new int[16];
    private String[] ids = new String[16];
    private int size;

    void add(
        double start,
        double end,
        double rowValue,
        double low,
        double high,
        String label,
        String shortLabel,
        int chunk,
        String id) {
      if (size == startMs.length) {
        int n = size * 2;
        startMs = Arrays.copyOf(startMs, n);
        endMs = Arrays.copyOf(endMs, n);
        row = Arrays.copyOf(row, n);
        lowY = Arrays.copyOf(lowY, n);
        highY = Arrays.copyOf(highY, n);
        labels = Arrays.copyOf(labels, n);
        shortLabels = Arrays.copyOf(shortLabels, n);
        chunks = Arrays.copyOf(chunks, n);
        ids = Arrays.copyOf(ids, n);
      }
      startMs[size] = start;
      endMs[size] = end;
      row[size] = rowValue;
      lowY[size] = low;
      highY[size] = high;
      labels[size] = label;
      shortLabels[size] = shortLabel;
      chunks[size] = chunk;
      ids[size] = id;
      size++;
    }

    Bars trimmed() {
      startMs = Arrays.copyOf(startMs, size);
      endMs = Arrays.copyOf(endMs, size);
      row = Arrays.copyOf(row, size);
      lowY = Arrays.copyOf(lowY, size);
      highY = Arrays.copyOf(highY, size);
      labels = Arrays.copyOf(labels, size);
      shortLabels = Arrays.copyOf(shortLabels, size);
      chunks = Arrays.copyOf(chunks, size);
      ids = Arrays.copyOf(ids, size);
      return this;
    }
  }
}
