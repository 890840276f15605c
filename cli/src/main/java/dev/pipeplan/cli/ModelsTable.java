package dev.pipeplan.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A plain-text table for the {@code models} and {@code clusters} commands: left-aligned text
 * columns, right-aligned number columns, two spaces between columns, a dashed rule under the header
 * and before a totals row.
 */
final class ModelsTable {
  private final List<String> headers;
  private final boolean[] numeric;
  private final List<String[]> rows = new ArrayList<>();
  private int ruleBefore = -1;

  ModelsTable(String... headers) {
    this.headers = List.of(headers);
    this.numeric = new boolean[headers.length];
  }

  /** Marks columns (by index) whose values are right-aligned. */
  ModelsTable numeric(int... columns) {
    for (int c : columns) {
      numeric[c] = true;
    }
    return this;
  }

  ModelsTable row(String... cells) {
    if (cells.length != headers.size()) {
      throw new IllegalArgumentException(
          "row has " + cells.length + " cells, table has " + headers.size());
    }
    rows.add(cells.clone());
    return this;
  }

  /** Draws a rule, then this row: for totals. */
  ModelsTable totals(String... cells) {
    ruleBefore = rows.size();
    return row(cells);
  }

  void print(PrintWriter out) {
    int[] width = new int[headers.size()];
    for (int c = 0; c < width.length; c++) {
      width[c] = headers.get(c).length();
      for (String[] r : rows) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    out.println(line(headers.toArray(new String[0]), width));
    out.println(rule(width));
    for (int i = 0; i < rows.size(); i++) {
      if (i == ruleBefore) {
        out.println(rule(width));
      }
      out.println(line(rows.get(i), width));
    }
    out.flush();
  }

  private String line(String[] cells, int[] width) {
    StringBuilder b = new StringBuilder();
    for (int c = 0; c < cells.length; c++) {
      if (c > 0) {
        b.append("  ");
      }
      String pad = " ".repeat(width[c] - cells[c].length());
      b.append(numeric[c] ? pad + cells[c] : cells[c] + (c == cells.length - 1 ? "" : pad));
    }
    return b.toString().stripTrailing();
  }

  private static String rule(int[] width) {
    int total = 0;
    for (int w : width) {
      total += w;
    }
    return "-".repeat(total + 2 * (width.length - 1));
  }

  /** 1557611200 as "1.56B", 124439808 as "124M", 7168 as "7.2K". */
  static String count(double n) {
    if (n >= 1e12) {
      return fixed(n / 1e12) + "T";
    }
    if (n >= 1e9) {
      return fixed(n / 1e9) + "B";
    }
    if (n >= 1e6) {
      return fixed(n / 1e6) + "M";
    }
    if (n >= 1e3) {
      return fixed(n / 1e3) + "K";
    }
    return String.format(Locale.ROOT, "%.0f", n);
  }

  /** Three significant digits at most: 1.56, 15.6, 156. */
  private static String fixed(double v) {
    if (v >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (v >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }

  /** A number with a fixed count of decimals, in the root locale. */
  static String decimal(double v, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  /** A whole number with thousands separators: 1,557,611,200. */
  static String grouped(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
