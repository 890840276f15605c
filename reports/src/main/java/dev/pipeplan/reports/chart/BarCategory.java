package dev.pipeplan.reports.chart;

import dev.pipeplan.simulator.schedule.ActionType;
import java.awt.Color;

/**
 * What a Gantt bar stands for, with its fixed colour. The colours are from the Okabe-Ito palette,
 * which stays distinguishable under the common forms of colour blindness; the text colour on each
 * is chosen for contrast.
 */
public enum BarCategory {
  FORWARD("F forward", new Color(0x0072B2)),
  BACKWARD_INPUT("I backward (input grad)", new Color(0xE69F00)),
  BACKWARD_WEIGHT("W backward (weight grad)", new Color(0xCC79A7)),
  BACKWARD("B backward (I+W)", new Color(0x009E73)),
  COMM("comm (transfer in)", new Color(0x7F7F7F)),
  /** One block per device standing for the steady-state actions a summarised chart leaves out. */
  STEADY_STATE("steady state (summarised)", new Color(0xD9D9D9));

  private final String legendLabel;
  private final Color fill;

  BarCategory(String legendLabel, Color fill) {
    this.legendLabel = legendLabel;
    this.fill = fill;
  }

  public String legendLabel() {
    return legendLabel;
  }

  public Color fill() {
    return fill;
  }

  /** Black or white, whichever reads better on the fill (WCAG relative luminance). */
  public Color textColor() {
    return textColorOn(fill);
  }

  /** Black or white, whichever reads better on {@code background}. */
  static Color textColorOn(Color background) {
    return relativeLuminance(background) > 0.179 ? Color.BLACK : Color.WHITE;
  }

  public static BarCategory of(ActionType type) {
    return switch (type) {
      case F -> FORWARD;
      case I -> BACKWARD_INPUT;
      case W -> BACKWARD_WEIGHT;
      case B -> BACKWARD;
    };
  }

  static double relativeLuminance(Color c) {
    return 0.2126 * linear(c.getRed())
        + 0.7152 * linear(c.getGreen())
        + 0.0722 * linear(c.getBlue());
  }

  private static double linear(int channel) {
    double s = channel / 255.0;
    return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  }
}
