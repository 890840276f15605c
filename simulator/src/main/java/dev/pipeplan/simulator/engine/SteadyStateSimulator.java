package dev.pipeplan.simulator.engine;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.Objects;

/**
 * Iterations run back to back with the optimizer step post-validated, as the Zero Bubble paper's
 * code runs them ({@code --enable-optimizer-post-validation}, Qi et al., ICLR 2024, §4): no global
 * barrier between iterations. A device steps once its own last action is done, its exposed gradient
 * sync has run, and the partially reduced global state (gradient norm, inf/NaN flag) has arrived
 * from pipeline device d − 1, which it passes on to d + 1 ({@code pre_step} in the code's {@code
 * optimizer.py}); it then starts its next iteration. The global check is validated during the next
 * iteration's warm-up and rolled back in the rare iteration where it fails; neither the
 * validation's back-propagated message nor a rollback is modelled.
 *
 * <p>Each iteration is the one-iteration list scheduling ({@link Simulator}) with every device
 * released at its step's end. Iteration times are a max-plus function of the release times that
 * commutes with adding a constant, so once every device's release moves by the same amount λ from
 * one iteration to the next, every later iteration does too: λ is then the exact period. The
 * simulation stops there, or after {@link #MAX_ITERATIONS} iterations (the period is then the
 * average over the second half). Per-device memory is unchanged: a device's iterations do not
 * overlap on the device itself.
 */
public final class SteadyStateSimulator {
  /** The most iterations simulated before the period is taken as an average. */
  public static final int MAX_ITERATIONS = 64;

  private SteadyStateSimulator() {}

  public static SteadyState simulate(
      Schedule schedule, StageCosts costs, IterationBoundary boundary) {
    return simulate(CompiledSchedule.of(schedule), costs, boundary);
  }

  public static SteadyState simulate(
      CompiledSchedule schedule, StageCosts costs, IterationBoundary boundary) {
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(boundary, "boundary");
    int p = schedule.deviceCount();
    if (boundary.deviceCount() != p) {
      throw new BadInputException(
          "the iteration boundary has "
              + boundary.deviceCount()
              + " devices but schedule '"
              + schedule.schedule().name()
              + "' has "
              + p);
    }
    CostTables tables = CostTables.of(schedule, Objects.requireNonNull(costs, "costs"));
    long totalBusy = 0;
    for (int k = 0; k < schedule.actionCount(); k++) {
      totalBusy += tables.durationNanos[schedule.costKey[k]];
    }
    long[] release = new long[p];
    long[] next = new long[p];
    long[] latestRelease = new long[MAX_ITERATIONS + 1];
    long firstIteration = 0;
    long maxSpan = 0;
    for (int iteration = 1; iteration <= MAX_ITERATIONS; iteration++) {
      long[] end = Simulator.run(schedule, tables, release);
      if (iteration == 1) {
        for (int d = 0; d < p; d++) {
          int first = schedule.deviceFirst[d];
          int last = schedule.deviceFirst[d + 1] - 1;
          if (last < first) {
            continue;
          }
          long start = end[first] - tables.durationNanos[schedule.costKey[first]];
          firstIteration = Math.max(firstIteration, end[last]);
          maxSpan = Math.max(maxSpan, end[last] - start);
        }
      }
      long chain = 0;
      for (int d = 0; d < p; d++) {
        int last = schedule.deviceFirst[d + 1] - 1;
        long done = last < schedule.deviceFirst[d] ? release[d] : end[last];
        long stepStart = done + boundary.syncNanos().get(d);
        if (d > 0) {
          stepStart = Math.max(stepStart, chain + boundary.hopNanos().get(d));
        }
        chain = stepStart;
        next[d] = stepStart + boundary.stepNanos().get(d);
      }
      long latest = 0;
      boolean sameShift = true;
      long shift = next[0] - release[0];
      for (int d = 0; d < p; d++) {
        latest = Math.max(latest, next[d]);
        sameShift &= next[d] - release[d] == shift;
      }
      latestRelease[iteration] = latest;
      if (sameShift) {
        return steadyState(shift, totalBusy, p, firstIteration, maxSpan, iteration, true);
      }
      long[] swap = release;
      release = next;
      next = swap;
    }
    int half = MAX_ITERATIONS / 2;
    long period = (latestRelease[MAX_ITERATIONS] - latestRelease[half]) / (MAX_ITERATIONS - half);
    return steadyState(period, totalBusy, p, firstIteration, maxSpan, MAX_ITERATIONS, false);
  }

  private static SteadyState steadyState(
      long period,
      long totalBusy,
      int p,
      long firstIteration,
      long maxSpan,
      int iterations,
      boolean periodic) {
    double bubble = period == 0 ? 0.0 : 1.0 - (double) totalBusy / ((double) p * period);
    return new SteadyState(period, bubble, firstIteration, maxSpan, iterations, periodic);
  }
}
