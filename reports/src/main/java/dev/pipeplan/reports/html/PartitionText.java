package dev.pipeplan.reports.html;

import java.util.Objects;

/**
 * Short text for a partition: runs of equal layer counts become {@code count×run} ("4,3×30,4" for a
 * 32-stage partition of four, thirty threes and four), so that long partitions fit a table cell.
 */
final class PartitionText {
  private PartitionText() {}

  /**
   * The partition's layer counts ("4,3,3,3,4") with runs of two or more equal counts written {@code
   * count×run} ("4,3×3,4"); text that is not a comma-separated list of counts is returned as it is.
   */
  static String runs(String partition) {
    Objects.requireNonNull(partition, "partition");
    String[] counts = partition.split(",", -1);
    for (String c : counts) {
      if (c.isEmpty() || c.length() > 9 || !c.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
        return partition;
      }
    }
    StringBuilder b = new StringBuilder();
    int i = 0;
    while (i < counts.length) {
      int j = i + 1;
      while (j < counts.length && Integer.parseInt(counts[j]) == Integer.parseInt(counts[i])) {
        j++;
      }
      if (b.length() > 0) {
        b.append(',');
      }
      b.append(Integer.parseInt(counts[i]));
      if (j - i > 1) {
        b.append('\u00d7').append(j - i);
      }
      i = j;
    }
    return b.toString();
  }
}
