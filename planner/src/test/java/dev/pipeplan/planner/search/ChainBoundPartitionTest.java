package dev.pipeplan.planner.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.planner.partition.PartitionProblem;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The post-validated partition's objective, checked against every partition of small cases. */
class ChainBoundPartitionTest {

  /** max over stages of max(m · work, F + I of the layers before + m · its own F + I). */
  private static double bound(Partition part, long[] work, long[] chain, int m) {
    return bound(part, work, chain, m, 0, new long[part.stageCount()]);
  }

  /**
   * The same with each action's overhead (3 per micro-batch in the work, 2 on the chain, per stage
   * before too) and the round trips across the boundaries before each stage.
   */
  private static double bound(
      Partition part, long[] work, long[] chain, int m, long overhead, long[] roundTrips) {
    double worst = 0;
    double before = 0;
    int first = 0;
    int stage = 0;
    for (int count : part.layerCounts()) {
      double w = 0;
      double c = 0;
      for (int i = first; i < first + count; i++) {
        w += work[i];
        c += chain[i];
      }
      double path = before + roundTrips[stage] + m * (c + 2 * overhead);
      worst = Math.max(worst, Math.max(m * (w + 3 * overhead), path));
      before += c + 2 * overhead;
      first += count;
      stage++;
    }
    return worst;
  }

  private static void all(int n, int stages, List<Integer> prefix, List<Partition> out) {
    if (stages == 1) {
      List<Integer> counts = new ArrayList<>(prefix);
      counts.add(n);
      out.add(new Partition(counts));
      return;
    }
    for (int k = 1; k <= n - stages + 1; k++) {
      prefix.add(k);
      all(n - k, stages - 1, prefix, out);
      prefix.remove(prefix.size() - 1);
    }
  }

  @Test
  void findsTheLeastBoundOverEveryPartition() {
    SplittableRandom random = new SplittableRandom(20261202L);
    for (int trial = 0; trial < 300; trial++) {
      int n = 3 + random.nextInt(8);
      int stages = 2 + random.nextInt(Math.min(4, n - 1));
      int m = 1 + random.nextInt(12);
      long[] work = new long[n];
      long[] chain = new long[n];
      for (int i = 0; i < n; i++) {
        work[i] = 10 + random.nextInt(90);
        chain[i] = work[i] / 3 + random.nextInt((int) (2 * work[i] / 3) + 1);
      }
      PartitionProblem problem = PartitionProblem.timeOnly(work, stages);
      Partition found =
          CandidateEvaluator.chainBoundPartition(problem, chain, m, 0, new long[stages])
              .orElseThrow();
      List<Partition> every = new ArrayList<>();
      all(n, stages, new ArrayList<>(), every);
      double best = Double.MAX_VALUE;
      for (Partition p : every) {
        best = Math.min(best, bound(p, work, chain, m));
      }
      assertThat(bound(found, work, chain, m)).as("trial %d", trial).isEqualTo(best);
    }
  }

  @Test
  void findsTheLeastBoundWithOverheadsAndRoundTrips() {
    SplittableRandom random = new SplittableRandom(20261203L);
    for (int trial = 0; trial < 300; trial++) {
      int n = 3 + random.nextInt(8);
      int stages = 2 + random.nextInt(Math.min(4, n - 1));
      int m = 1 + random.nextInt(12);
      long overhead = random.nextInt(20);
      long[] work = new long[n];
      long[] chain = new long[n];
      for (int i = 0; i < n; i++) {
        work[i] = 10 + random.nextInt(90);
        chain[i] = work[i] / 3 + random.nextInt((int) (2 * work[i] / 3) + 1);
      }
      long[] roundTrips = new long[stages];
      for (int s = 1; s < stages; s++) {
        roundTrips[s] = roundTrips[s - 1] + random.nextInt(40);
      }
      PartitionProblem problem = PartitionProblem.timeOnly(work, stages);
      Partition found =
          CandidateEvaluator.chainBoundPartition(problem, chain, m, overhead, roundTrips)
              .orElseThrow();
      List<Partition> every = new ArrayList<>();
      all(n, stages, new ArrayList<>(), every);
      double best = Double.MAX_VALUE;
      for (Partition p : every) {
        best = Math.min(best, bound(p, work, chain, m, overhead, roundTrips));
      }
      assertThat(bound(found, work, chain, m, overhead, roundTrips))
          .as("trial %d", trial)
          .isEqualTo(best);
    }
  }

  @Test
  void givesTheLaterStageLessWhenTheChainBinds() {
    // six equal layers, nine tenths of each on the F + I chain, two micro-batches: balanced work
    // (3 + 3) leaves the second stage waiting on the first's chain: 27 + 2 x 27 = 81 against 60
    long[] work = {10, 10, 10, 10, 10, 10};
    long[] chain = {9, 9, 9, 9, 9, 9};
    PartitionProblem problem = PartitionProblem.timeOnly(work, 2);
    Partition found =
        CandidateEvaluator.chainBoundPartition(problem, chain, 2, 0, new long[2]).orElseThrow();
    assertThat(found.layerCounts()).containsExactly(4, 2);
    assertThat(bound(found, work, chain, 2)).isEqualTo(80);
    assertThat(bound(new Partition(List.of(3, 3)), work, chain, 2)).isEqualTo(81);
  }
}
