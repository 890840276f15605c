package dev.pipeplan.cli;

import java.io.PrintWriter;
import java.util.Locale;

/** Warnings that several commands print to stderr: the input is valid but probably not meant. */
final class Warnings {
  private Warnings() {}

  /**
   * Warns when m < p: with fewer micro-batches than pipeline devices, every device idles for at
   * least (p - 1) / (m + p - 1) of the iteration (one stage per device; more with unequal stages).
   */
  static void fewMicroBatches(PrintWriter err, int pp, int microbatches) {
    if (microbatches <= 0 || pp <= 1 || microbatches >= pp) {
      return;
    }
    double bubble = (double) (pp - 1) / (microbatches + pp - 1);
    err.printf(
        Locale.ROOT,
        "warning: --microbatches %d is below --pp %d: the bubble is at least (p-1)/(m+p-1) ="
            + " %.1f%% of the iteration. Maybe use --microbatches %d or more.%n",
        microbatches,
        pp,
        100 * bubble,
        pp);
    err.flush();
  }
}
