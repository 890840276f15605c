package dev.pipeplan.executor.runtime;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a pipelined run against the same batch run sequentially on one worker: the same model,
 * seed and micro-batches, all layers in one stage, each micro-batch's forward then backward in
 * turn. Only the order of the floating-point sums over micro-batches differs, so the gradients
 * agree to rounding.
 */
public final class GradientEquivalence {
  /**
   * The fp32 tolerance of {@link #maxRelativeDifference}: 1e-4 of each parameter's largest
   * gradient.
   */
  public static final double FP32_TOLERANCE = 1e-4;

  private GradientEquivalence() {}

  /**
   * Runs iteration 0 of {@code pipelined} and of its sequential counterpart, without optimizer
   * steps, and returns the largest, over parameters, of (largest absolute difference) / (largest
   * absolute reference gradient).
   */
  public static double maxRelativeDifference(PipelineConfig pipelined) {
    Map<String, float[]> actual;
    try (PipelineRuntime runtime = new PipelineRuntime(pipelined, NanoClock.system())) {
      runtime.runIteration(0, false);
      actual = runtime.gradients();
    }
    Map<String, float[]> reference;
    try (PipelineRuntime runtime = new PipelineRuntime(sequential(pipelined), NanoClock.system())) {
      runtime.runIteration(0, false);
      reference = runtime.gradients();
    }
    double worst = 0;
    for (Map.Entry<String, float[]> e : reference.entrySet()) {
      float[] want = e.getValue();
      float[] got = actual.get(e.getKey());
      double scale = 0;
      double diff = 0;
      for (int i = 0; i < want.length; i++) {
        scale = Math.max(scale, Math.abs(want[i]));
        diff = Math.max(diff, Math.abs((double) got[i] - want[i]));
      }
      worst = Math.max(worst, scale == 0 ? diff : diff / scale);
    }
    return worst;
  }

  /**
   * The same model, batch and seed on one worker: one stage, F then B for each micro-batch in
   * order.
   */
  public static PipelineConfig sequential(PipelineConfig pipelined) {
    int m = pipelined.schedule().microBatchCount();
    List<Action> actions = new ArrayList<>(2 * m);
    for (int j = 0; j < m; j++) {
      actions.add(Action.of(ActionType.F, 0, j));
      actions.add(Action.of(ActionType.B, 0, j));
    }
    Schedule single = new Schedule("sequential", 1, m, List.of(0), List.of(actions));
    return new PipelineConfig(
        pipelined.model(),
        Partition.of(pipelined.model().layerCount()),
        single,
        pipelined.microBatchSize(),
        pipelined.seed(),
        pipelined.optimizer(),
        pipelined.waitTimeout());
  }
}
