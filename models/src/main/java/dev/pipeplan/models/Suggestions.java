package dev.pipeplan.models;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * "Did you mean" hints: the closest known name by edit distance, for messages about unknown names.
 */
public final class Suggestions {
  private Suggestions() {}

  /**
   * The candidate closest to {@code name} by Levenshtein distance (case-insensitive), first in
   * iteration order on ties; empty when nothing is close enough to be a plausible typo (more than
   * half the name differs).
   */
  public static Optional<String> closest(String name, Collection<String> candidates) {
    if (name == null || name.isBlank()) {
      return Optional.empty();
    }
    String needle = name.trim().toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(needle, c.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    if (best == null || bestDistance > Math.max(2, (needle.length() + 1) / 2)) {
      return Optional.empty();
    }
    return Optional.of(best);
  }

  /** " Maybe you meant 'x'?" or the empty string when no candidate is close. */
  public static String maybe(String name, Collection<String> candidates) {
    return closest(name, candidates).map(c -> " Maybe you meant '" + c + "'?").orElse("");
  }

  /** The Levenshtein distance (insertions, deletions and substitutions each cost one). */
  public static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.length()];
  }
}
