package dev.pipeplan.executor.core.equivalence;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks a pipelined run against the same batch run sequentially on one device: the same model,
 * seed and micro-batches, all layers in one stage, each micro-batch's forward then backward in
 * turn. Only the order of the floating-point sums over micro-batches differs, so the gradients
 * agree to rounding. Written once for every backend; a backend supplies a {@link GradientRun}.
 */
public final class GradientEquivalence {
  /**
   * The fp32 tolerance of {@link #maxRelativeDifference(Map, Map)}: 1e-4 of each parameter's
   * largest gradient.
   */
  public static final double FP32_TOLERANCE = 1e-4;

  private GradientEquivalence() {}

  /**
   * Iteration 0 of one layout on a backend, without an optimizer step: every parameter's gradient
   * by name. The model, seed, micro-batch size and data are the backend's and must not depend on
   * the layout.
   */
  @FunctionalInterface
  public interface GradientRun {
    Map<String, float[]> gradients(Partition partition, Schedule schedule);
  }

  /**
   * Runs {@code run} on the pipelined layout, then on its sequential counterpart ({@link
   * #sequentialPartition}, {@link #sequentialSchedule}), and compares them with {@link
   * #maxRelativeDifference(Map, Map)}, the sequential run as reference.
   */
  public static double maxRelativeDifference(
      GradientRun run, Partition partition, Schedule schedule) {
    Objects.requireNonNull(run, "run");
    Map<String, float[]> pipelined = run.gradients(partition, schedule);
    Map<String, float[]> reference =
        run.gradients(
            sequentialPartition(partition), sequentialSchedule(schedule.microBatchCount()));
    return maxRelativeDifference(reference, pipelined);
  }

  /**
   * The largest, over parameters, of (largest absolute difference) / (largest absolute reference
   * gradient); the absolute difference where the reference gradient is all zero.
   *
   * @throws IllegalStateException when {@code actual} lacks a parameter of {@code reference} or
   *     holds it with another size
   */
  public static double maxRelativeDifference(
      Map<String, float[]> reference, Map<String, float[]> actual) {
    double worst = 0;
    for (Map.Entry<String, float[]> e : reference.entrySet()) {
      float[] want = e.getValue();
      float[] got = actual.get(e.getKey());
      if (got == null || got.length != want.length) {
        throw new IllegalStateException(
            "parameter " + e.getKey() + " is missing or differs in size");
      }
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

  /** All layers of {@code pipelined} in one stage. */
  public static Partition sequentialPartition(Partition pipelined) {
    return Partition.of(pipelined.layerCount());
  }

  /** One device, one stage: F then B for each micro-batch in order. */
  public static Schedule sequentialSchedule(int microBatchCount) {
    List<Action> actions = new ArrayList<>(2 * microBatchCount);
    for (int j = 0; j < microBatchCount; j++) {
      actions.add(Action.of(ActionType.F, 0, j));
      actions.add(Action.of(ActionType.B, 0, j));
    }
    return new Schedule("sequential", 1, microBatchCount, List.of(0), List.of(actions));
  }
}
