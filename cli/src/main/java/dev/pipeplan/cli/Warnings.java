package dev.pipeplan.cli;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.TrainingSpec;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
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

  /**
   * Warns when the durations come from measured times (a profile, or a model whose every layer has
   * them) and the training states a kernel choice that the analytic roofline times but measured
   * times already contain: eager attention and a fused cross-entropy then change the memory alone.
   *
   * @param source what the times come from, for the message ("the profile")
   */
  static void memoryOnlyModes(PrintWriter err, TrainingSpec training, String source) {
    List<String> modes = new ArrayList<>();
    if (training.attention() == Attention.EAGER) {
      modes.add("--attention eager");
    }
    if (training.crossEntropy() != CrossEntropy.UNFUSED) {
      modes.add("--cross-entropy " + training.crossEntropy().id());
    }
    if (modes.isEmpty()) {
      return;
    }
    err.printf(
        Locale.ROOT,
        "warning: the durations are %s's measured times, which %s %s not change; %s the memory"
            + " only.%n",
        source,
        String.join(" and ", modes),
        modes.size() == 1 ? "does" : "do",
        modes.size() == 1 ? "it changes" : "they change");
    err.flush();
  }
}
