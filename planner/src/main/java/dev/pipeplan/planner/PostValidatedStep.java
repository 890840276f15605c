package dev.pipeplan.planner;

import dev.pipeplan.models.Checks;
import dev.pipeplan.simulator.engine.IterationBoundary;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * How the planner prices the terms between iterations when the optimizer step is post-validated
 * ({@link dev.pipeplan.simulator.engine.SteadyStateSimulator}). Conservative: every pipeline device
 * is charged the whole exposed data-parallel sync of the iteration (the slowest device's, plus a
 * tied table's all-reduce) and the slowest device's optimizer step, not its own shorter ones; the
 * partially reduced global state moves from device d − 1 to d at the latency of the link between
 * them. The search and every replay of a plan build the boundary here, so they agree.
 */
public final class PostValidatedStep {
  private PostValidatedStep() {}

  /**
   * The iteration boundary of a pipeline of {@code links.deviceNodes().size()} devices.
   *
   * @param dataParallelSyncNanos the exposed gradient sync the synchronous iteration adds
   * @param optimizerStepNanos the slowest device's optimizer step
   */
  public static IterationBoundary boundary(
      long dataParallelSyncNanos, long optimizerStepNanos, PlanLinks links) {
    Checks.nonNegative("dataParallelSyncNanos", dataParallelSyncNanos);
    Checks.nonNegative("optimizerStepNanos", optimizerStepNanos);
    Objects.requireNonNull(links, "links");
    int p = links.deviceNodes().size();
    List<Long> hops = new ArrayList<>(p);
    hops.add(0L);
    for (int d = 1; d < p; d++) {
      hops.add(links.link(d - 1, d).latencyNanos());
    }
    return new IterationBoundary(
        Collections.nCopies(p, dataParallelSyncNanos),
        Collections.nCopies(p, optimizerStepNanos),
        hops);
  }
}
