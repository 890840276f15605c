package dev.pipeplan.planner.partition;

import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Every composition of the layers into the problem's stages, for checking the real partitioners on
 * small inputs.
 */
final class BruteForcePartitioner {
  private BruteForcePartitioner() {}

  static void forEach(int layers, int stages, Consumer<Partition> action) {
    int[] counts = new int[stages];
    fill(counts, 0, layers, action);
  }

  private static void fill(int[] counts, int stage, int left, Consumer<Partition> action) {
    if (stage == counts.length - 1) {
      counts[stage] = left;
      List<Integer> list = new ArrayList<>();
      for (int c : counts) {
        list.add(c);
      }
      action.accept(new Partition(list));
      return;
    }
    for (int c = 1; c <= left - (counts.length - 1 - stage); c++) {
      counts[stage] = c;
      fill(counts, stage + 1, left - c, action);
    }
  }

  /**
   * The smallest bottleneck over partitions whose every stage fits alone; Long.MAX_VALUE when none
   * does.
   */
  static long bestBottleneck(PartitionProblem problem) {
    long[] best = {Long.MAX_VALUE};
    forEach(
        problem.layerCount(),
        problem.stageCount(),
        p -> {
          int first = 0;
          long worst = 0;
          for (int s = 0; s < p.stageCount(); s++) {
            int end = first + p.layerCounts().get(s);
            if (!problem.stageFits(s, first, end)) {
              return;
            }
            worst = Math.max(worst, problem.stageNanos(s, first, end));
            first = end;
          }
          best[0] = Math.min(best[0], worst);
        });
    return best[0];
  }

  /** The smallest largest device load over partitions that fit every device's summed memory. */
  static long bestDeviceLoad(PartitionProblem problem) {
    long[] best = {Long.MAX_VALUE};
    forEach(
        problem.layerCount(),
        problem.stageCount(),
        p -> {
          if (problem.fits(p)) {
            best[0] = Math.min(best[0], MipPartitioner.maxLoad(problem, p));
          }
        });
    return best[0];
  }
}
