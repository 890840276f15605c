package dev.pipeplan.reports.chart;

import java.util.Locale;

/**
 * The binary unit memory axes and labels use, picked so that the largest value reads as a few
 * digits.
 */
public enum ByteUnit {
  KIB("KiB", 1L << 10),
  MIB("MiB", 1L << 20),
  GIB("GiB", 1L << 30),
  TIB("TiB", 1L << 40);

  private final String symbol;
  private final long bytes;

  ByteUnit(String symbol, long bytes) {
    this.symbol = symbol;
    this.bytes = bytes;
  }

  public String symbol() {
    return symbol;
  }

  public double of(long value) {
    return (double) value / bytes;
  }

  /** The largest unit in which {@code maxBytes} is at least 1 (KiB for anything smaller). */
  public static ByteUnit forMax(long maxBytes) {
    ByteUnit best = KIB;
    for (ByteUnit u : values()) {
      if (maxBytes >= u.bytes) {
        best = u;
      }
    }
    return best;
  }

  /** "12.5 GiB" with the unit that suits the value itself. */
  public static String format(long bytes) {
    ByteUnit u = forMax(bytes);
    return String.format(Locale.ROOT, "%.1f %s", u.of(bytes), u.symbol);
  }
}
