package dev.pipeplan.reports.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import org.jfree.chart.LegendItem;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CrosshairState;
import org.jfree.chart.plot.PlotRenderingInfo;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.AbstractXYItemRenderer;
import org.jfree.chart.renderer.xy.XYItemRendererState;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.Range;
import org.jfree.data.general.DatasetUtils;
import org.jfree.data.xy.XYDataset;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.SVGHints;

/**
 * Draws each bar of a {@link GanttDataset} as one filled rectangle (in SVG: one {@code <rect>}
 * whose id is the bar's element id), shaded and outlined by its virtual-stage chunk (chunk 0 solid,
 * later chunks lighter with a dark outline), and its label inside it when the label's measured
 * width and height fit (the long label, micro-batch and stage, else the short one) (in SVG: a
 * {@code <text>} in a {@code <g>} whose id is {@code label-} and the bar's id). Labels never leave
 * their bar and the bars of one row never overlap, so no two labels overlap. Bars at least three
 * pixels wide are inset by half a pixel on each side so that back-to-back actions stay apart.
 */
final class GanttRenderer extends AbstractXYItemRenderer {
  private static final long serialVersionUID = 1L;
  private static final double LABEL_PADDING_PIXELS = 2.0;
  private static final BasicStroke OUTLINE = new BasicStroke(1.0f);

  private final boolean labelsEnabled;
  private final Font labelFont;

  GanttRenderer(boolean labelsEnabled, Font labelFont) {
    this.labelsEnabled = labelsEnabled;
    this.labelFont = labelFont;
    setDefaultLegendShape(new Rectangle2D.Double(-7, -5, 14, 10));
  }

  @Override
  public void drawItem(
      Graphics2D g2,
      XYItemRendererState state,
      Rectangle2D dataArea,
      PlotRenderingInfo info,
      XYPlot plot,
      ValueAxis domainAxis,
      ValueAxis rangeAxis,
      XYDataset dataset,
      int series,
      int item,
      CrosshairState crosshairState,
      int pass) {
    GanttDataset gantt = (GanttDataset) dataset;
    RectangleEdge xEdge = plot.getDomainAxisEdge();
    RectangleEdge yEdge = plot.getRangeAxisEdge();
    double xa = domainAxis.valueToJava2D(gantt.getStartXValue(series, item), dataArea, xEdge);
    double xb = domainAxis.valueToJava2D(gantt.getEndXValue(series, item), dataArea, xEdge);
    double ya = rangeAxis.valueToJava2D(gantt.getStartYValue(series, item), dataArea, yEdge);
    double yb = rangeAxis.valueToJava2D(gantt.getEndYValue(series, item), dataArea, yEdge);
    double x = Math.min(xa, xb);
    double width = Math.abs(xb - xa);
    double y = Math.min(ya, yb);
    double height = Math.abs(yb - ya);
    if (width >= 3.0) {
      x += 0.5;
      width -= 1.0;
    }
    if (g2 instanceof SVGGraphics2D) {
      g2.setRenderingHint(SVGHints.KEY_ELEMENT_ID, gantt.elementId(series, item));
    }
    Color fill = fill(gantt, series, item);
    Rectangle2D bar = new Rectangle2D.Double(x, y, width, height);
    g2.setPaint(fill);
    g2.fill(bar);
    Color outline = outline(gantt, series, item);
    if (outline != null && width >= 2.0) {
      g2.setPaint(outline);
      g2.setStroke(OUTLINE);
      g2.draw(new Rectangle2D.Double(x + 0.5, y + 0.5, width - 1.0, height - 1.0));
    }

    String label = fitting(g2, gantt, series, item, width, height);
    if (label != null) {
      FontMetrics metrics = g2.getFontMetrics(labelFont);
      double textWidth = metrics.stringWidth(label);
      double textHeight = metrics.getAscent();
      g2.setFont(labelFont);
      g2.setPaint(BarCategory.textColorOn(fill));
      boolean svg = g2 instanceof SVGGraphics2D;
      if (svg) {
        g2.setRenderingHint(SVGHints.KEY_BEGIN_GROUP, "label-" + gantt.elementId(series, item));
      }
      float tx = (float) (x + (width - textWidth) / 2.0);
      float ty = (float) (y + (height + textHeight) / 2.0 - 1.0);
      g2.drawString(label, tx, ty);
      if (svg) {
        g2.setRenderingHint(SVGHints.KEY_END_GROUP, Boolean.TRUE);
      }
    }
  }

  /** The bar's fill: its category's colour, shaded by its chunk ({@link Palettes#chunkFill}). */
  static Color fill(GanttDataset gantt, int series, int item) {
    return Palettes.chunkFill(
        gantt.category(series).fill(), gantt.chunk(series, item), gantt.chunkCount());
  }

  /** The bar's outline, or null for none: bars of chunk 1 and later are outlined. */
  static Color outline(GanttDataset gantt, int series, int item) {
    return Palettes.chunkOutline(gantt.category(series).fill(), gantt.chunk(series, item));
  }

  /** The long label if it fits in the bar, else the short one if that fits, else null. */
  private String fitting(
      Graphics2D g2, GanttDataset gantt, int series, int item, double width, double height) {
    if (!labelsEnabled) {
      return null;
    }
    FontMetrics metrics = g2.getFontMetrics(labelFont);
    if (metrics.getAscent() + 2.0 > height) {
      return null;
    }
    for (String label : new String[] {gantt.label(series, item), gantt.shortLabel(series, item)}) {
      if (label != null
          && !label.isEmpty()
          && metrics.stringWidth(label) + LABEL_PADDING_PIXELS <= width) {
        return label;
      }
    }
    return null;
  }

  @Override
  public LegendItem getLegendItem(int datasetIndex, int series) {
    XYPlot plot = getPlot();
    if (plot == null || !(plot.getDataset(datasetIndex) instanceof GanttDataset)) {
      return null;
    }
    GanttDataset gantt = (GanttDataset) plot.getDataset(datasetIndex);
    BarCategory category = gantt.category(series);
    LegendItem item =
        new LegendItem(
            category.legendLabel(),
            category.legendLabel(),
            null,
            null,
            getDefaultLegendShape(),
            category.fill());
    item.setDataset(gantt);
    item.setDatasetIndex(datasetIndex);
    item.setSeriesKey(gantt.getSeriesKey(series));
    item.setSeriesIndex(series);
    return item;
  }

  @Override
  public Range findDomainBounds(XYDataset dataset) {
    return dataset == null ? null : DatasetUtils.findDomainBounds(dataset, true);
  }

  @Override
  public Range findRangeBounds(XYDataset dataset) {
    return dataset == null ? null : DatasetUtils.findRangeBounds(dataset, true);
  }
}
