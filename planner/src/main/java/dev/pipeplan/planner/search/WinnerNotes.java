package dev.pipeplan.planner.search;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Notes on a search's winner that a user should act on, each one sentence with its fix: today, that
 * memory keeps the winner to one micro-batch in flight. Hints never suggest what is already on
 * (recomputation when the training recomputes, sharding already in place).
 */
public final class WinnerNotes {
  private WinnerNotes() {}

  /** The notes on the winner of a search, in a fixed order; empty when there is nothing to say. */
  public static List<String> of(SearchResult result) {
    Evaluation best = result.best();
    Candidate c = best.candidate();
    List<String> notes = new ArrayList<>();
    if (c.parallelism().pp() > 1 && mostInFlight(c) == 1) {
      List<String> fixes =
          moreInFlightFixes(
              result.evaluator().training().recompute(),
              result.evaluator().training().attention(),
              result.evaluator().training().optimizerSharding(),
              c.parallelism().dp());
      notes.add(
          String.format(
              Locale.ROOT,
              "The winner keeps one micro-batch in flight per pipeline device: memory leaves room"
                  + " for no more, so its pipeline bubble is %.1f%%. Maybe use %s to fit more in"
                  + " flight.",
              100 * Planner.bubbleRatio(best),
              joined(fixes)));
    }
    return List.copyOf(notes);
  }

  /**
   * What lets more micro-batches fit in flight: only the settings not already at their most
   * memory-saving value (no recomputation hint when full recomputation is on, no flash hint when
   * flash attention is on), and, with data parallelism, sharding what is still replicated over it
   * (the optimizer state, then the gradients: with Megatron's fp32 main gradients those are 4 bytes
   * a parameter).
   */
  static List<String> moreInFlightFixes(
      Recompute recompute, Attention attention, OptimizerSharding sharding, int dataParallel) {
    List<String> fixes = new ArrayList<>();
    switch (recompute) {
      case NONE -> fixes.add(Planner.RECOMPUTE_HINT + " selective or full");
      case SELECTIVE -> fixes.add(Planner.RECOMPUTE_HINT + " full");
      case FULL -> {}
    }
    switch (attention) {
      case EAGER -> fixes.add("flash attention (--attention flash)");
      case FLASH -> {}
    }
    if (dataParallel > 1) {
      switch (sharding) {
        case NONE -> fixes.add("the optimizer state sharded over dp (--zero 1)");
        case ZERO1 -> fixes.add("the gradients sharded over dp too (--zero 2)");
        case ZERO2, ZERO3 -> {}
      }
    }
    fixes.add("more devices");
    return fixes;
  }

  /** The most activation sets any pipeline device holds at once under the candidate's kind. */
  static int mostInFlight(Candidate c) {
    int most = 0;
    for (int n : CandidateEvaluator.inFlightPerDevice(c)) {
      most = Math.max(most, n);
    }
    return most;
  }

  private static String joined(List<String> parts) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < parts.size(); i++) {
      b.append(i == 0 ? "" : i == parts.size() - 1 ? " or " : ", ").append(parts.get(i));
    }
    return b.toString();
  }
}
