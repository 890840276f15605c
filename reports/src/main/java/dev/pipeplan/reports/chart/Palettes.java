package dev.pipeplan.reports.chart;

import java.awt.Color;
import java.util.List;

/**
 * Colours for series that are not action types: Okabe-Ito for a few categories, viridis for many
 * ordered ones.
 */
final class Palettes {
  /** Okabe-Ito, black last; safe for the common colour-vision deficiencies. */
  static final List<Color> CATEGORICAL =
      List.of(
          new Color(0x0072B2),
          new Color(0xD55E00),
          new Color(0x009E73),
          new Color(0xCC79A7),
          new Color(0xE69F00),
          new Color(0x56B4E9),
          new Color(0xF0E442),
          new Color(0x000000));

  private static final Color[] VIRIDIS = {
    new Color(0x440154),
    new Color(0x3B528B),
    new Color(0x21918C),
    new Color(0x5EC962),
    new Color(0xFDE725)
  };

  private Palettes() {}

  /**
   * The fill of a Gantt bar of virtual-stage chunk {@code chunk} (0-based) out of {@code chunks} on
   * its device: chunk 0 in the category's own colour, later chunks blended towards white in even
   * steps up to 55%, so that the chunks of one device read apart and still read as the same action
   * type. Later chunks also get an outline ({@link #chunkOutline}).
   */
  static Color chunkFill(Color base, int chunk, int chunks) {
    if (chunk <= 0 || chunks <= 1) {
      return base;
    }
    double white = 0.55 * Math.min(chunk, chunks - 1) / (chunks - 1);
    return blend(base, Color.WHITE, white);
  }

  /**
   * The outline of a bar of chunk {@code chunk}: none (null) for chunk 0, a darker shade of the
   * category's colour for the others.
   */
  static Color chunkOutline(Color base, int chunk) {
    return chunk <= 0 ? null : blend(base, Color.BLACK, 0.45);
  }

  static Color blend(Color a, Color b, double f) {
    return new Color(
        (int) Math.round(a.getRed() + f * (b.getRed() - a.getRed())),
        (int) Math.round(a.getGreen() + f * (b.getGreen() - a.getGreen())),
        (int) Math.round(a.getBlue() + f * (b.getBlue() - a.getBlue())));
  }

  static Color categorical(int index) {
    return CATEGORICAL.get(Math.floorMod(index, CATEGORICAL.size()));
  }

  /** Viridis at {@code t} in [0, 1], interpolated linearly between five anchors. */
  static Color viridis(double t) {
    double x = Math.max(0.0, Math.min(1.0, t)) * (VIRIDIS.length - 1);
    int i = Math.min(VIRIDIS.length - 2, (int) Math.floor(x));
    double f = x - i;
    Color a = VIRIDIS[i];
    Color b = VIRIDIS[i + 1];
    return new Color(
        (int) Math.round(a.getRed() + f * (b.getRed() - a.getRed())),
        (int) Math.round(a.getGreen() + f * (b.getGreen() - a.getGreen())),
        (int) Math.round(a.getBlue() + f * (b.getBlue() - a.getBlue())));
  }
}
