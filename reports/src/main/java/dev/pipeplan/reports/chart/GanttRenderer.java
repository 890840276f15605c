package dev.pipeplan.reports.chart;

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
 * whose id is the bar's element id) and its label inside it when the label's measured width and
 * height fit (in SVG: a {@code <text>} in a {@code <g>} whose id is {@code label-} and the bar's
 * id). Labels never leave their bar and the bars of one row never overlap, so no two labels
 * overlap. Bars at least three pixels wide are inset by half a pixel on each side so that
 * back-to-back actions stay apart.
 */
final class GanttRenderer extends AbstractXYItemRenderer {
  private static final long serialVersionUID = 1L;
  private static final double LABEL_PADDING_PIXELS = 2.0;

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
    BarCategory category = gantt.category(series);
    if (g2 instanceof SVGGraphics2D) {
      g2.setRenderingHint(SVGHints.KEY_ELEMENT_ID, gantt.elementId(series, item));
    }
    g2.setPaint(category.fill());
    g2.fill(new Rectangle2D.Double(x, y, width, height));

    String label = gantt.label(series, item);
    if (labelsEnabled && label != null && !label.isEmpty()) {
      FontMetrics metrics = g2.getFontMetrics(labelFont);
      double textWidth = metrics.stringWidth(label);
      double textHeight = metrics.getAscent();
      if (textWidth + LABEL_PADDING_PIXELS <= width && textHeight + 2.0 <= height) {
        g2.setFont(labelFont);
        g2.setPaint(category.textColor());
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
