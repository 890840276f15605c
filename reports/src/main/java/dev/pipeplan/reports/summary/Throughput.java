package dev.pipeplan.reports.summary;

import java.util.Locale;

/** Samples per second as the command line and the report print them. */
public final class Throughput {
  private Throughput() {}

  /**
   * One decimal from 1 sample/s up ("238.8 samples/s"), three significant digits below, so that a
   * slow iteration (16 samples of a million tokens in 15 minutes) does not read "0.0 samples/s".
   */
  public static String samplesPerSecond(double samplesPerSecond) {
    String number =
        samplesPerSecond >= 1 || samplesPerSecond == 0
            ? String.format(Locale.ROOT, "%.1f", samplesPerSecond)
            : String.format(Locale.ROOT, "%.3g", samplesPerSecond);
    return number + " samples/s";
  }
}
