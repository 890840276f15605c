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
   * The hint stays within {@code mostMicroBatches}, the most the work limits allow for this
   * schedule's shape ({@link dev.pipeplan.simulator.schedule.WorkLimits#maxMicroBatches}): where p
   * micro-batches would be past it, it names that limit instead of suggesting a refused count.
   */
  static void fewMicroBatches(PrintWriter err, int pp, int microbatches, int mostMicroBatches) {
    if (microbatches <= 0 || pp <= 1 || microbatches >= pp) {
      return;
    }
    double bubble = (double) (pp - 1) / (microbatches + pp - 1);
    String hint =
        pp <= mostMicroBatches
            ? "Maybe use --microbatches " + pp + " or more."
            : microbatches < mostMicroBatches
                ? "Maybe use --microbatches "
                    + mostMicroBatches
                    + " (the most the limit of actions per schedule allows with --pp "
                    + pp
                    + "), or a smaller --pp."
                : "Maybe use a smaller --pp (the limit of actions per schedule allows no more"
                    + " micro-batches with --pp "
                    + pp
                    + ").";
    err.printf(
        Locale.ROOT,
        "warning: --microbatches %d is below --pp %d: the bubble is at least (p-1)/(m+p-1) ="
            + " %.1f%% of the iteration. %s%n",
        microbatches,
        pp,
        100 * bubble,
        hint);
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
