package dev.pipeplan.cuda.runtime;

import java.util.Map;

/**
 * The gradient check's measure, as the CPU executor's: max over parameters of max |diff| / max
 * |reference|.
 */
public final class GradientComparison {
  private GradientComparison() {}

  public static double maxRelativeDifference(
      Map<String, float[]> reference, Map<String, float[]> actual) {
    double worst = 0;
    for (Map.Entry<String, float[]> e : reference.entrySet()) {
      float[] a = actual.get(e.getKey());
      if (a == null || a.length != e.getValue().length) {
        throw new IllegalStateException(
            "parameter " + e.getKey() + " is missing or differs in size");
      }
      double scale = 0;
      double diff = 0;
      for (int i = 0; i < a.length; i++) {
        scale = Math.max(scale, Math.abs(e.getValue()[i]));
        diff = Math.max(diff, Math.abs((double) a[i] - e.getValue()[i]));
      }
      worst = Math.max(worst, scale == 0 ? diff : diff / scale);
    }
    return worst;
  }
}
