package dev.pipeplan.reports.chart;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.io.AtomicFiles;
import java.awt.Rectangle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.svg.SVGGraphics2D;

/**
 * Writes a chart to PNG or SVG, chosen by the file name's extension, through a temporary file and a
 * move.
 */
public final class ChartFiles {
  /** The largest image side we draw; beyond it PNGs get huge and viewers struggle. */
  public static final int MAX_SIDE_PIXELS = 16_000;

  private ChartFiles() {}

  /** The picture formats a chart can be written as. */
  public enum Format {
    PNG,
    SVG;

    /**
     * The format a file name asks for, or a {@link BadInputException} naming the accepted
     * extensions.
     */
    public static Format of(Path file) {
      String name =
          Objects.requireNonNull(file, "file").getFileName().toString().toLowerCase(Locale.ROOT);
      if (name.endsWith(".png")) {
        return PNG;
      }
      if (name.endsWith(".svg")) {
        return SVG;
      }
      throw new BadInputException(
          "chart file '"
              + file
              + "' has an unknown extension. Maybe name it '"
              + stem(file)
              + ".png' or '"
              + stem(file)
              + ".svg'.");
    }

    private static String stem(Path file) {
      String name = file.getFileName().toString();
      int dot = name.lastIndexOf('.');
      return dot > 0 ? name.substring(0, dot) : name;
    }
  }

  public static void write(JFreeChart chart, Path out, int widthPixels, int heightPixels) {
    Objects.requireNonNull(chart, "chart");
    Format format = Format.of(out);
    checkSide("chart width", widthPixels);
    checkSide("chart height", heightPixels);
    if (format == Format.PNG) {
      AtomicFiles.write(
          out, stream -> ChartUtils.writeChartAsPNG(stream, chart, widthPixels, heightPixels));
    } else {
      AtomicFiles.writeBytes(
          out, svg(chart, widthPixels, heightPixels).getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * The chart as an SVG document. The defs prefix is fixed (JFreeSVG's default holds the clock) so
   * that the same chart gives the same bytes.
   */
  public static String svg(JFreeChart chart, int widthPixels, int heightPixels) {
    checkSide("chart width", widthPixels);
    checkSide("chart height", heightPixels);
    SVGGraphics2D g2 = new SVGGraphics2D(widthPixels, heightPixels);
    g2.setDefsKeyPrefix("pp");
    chart.draw(g2, new Rectangle(0, 0, widthPixels, heightPixels));
    return g2.getSVGDocument();
  }

  private static void checkSide(String field, int pixels) {
    Checks.positive(field, pixels);
    if (pixels > MAX_SIDE_PIXELS) {
      throw new BadInputException(
          field + " (" + pixels + " pixels) exceeds " + MAX_SIDE_PIXELS + " pixels");
    }
  }
}
