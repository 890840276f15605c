package dev.pipeplan.simulator.schedule;

import dev.pipeplan.models.Checks;
import java.util.Objects;

/**
 * What a generator is asked for.
 *
 * @param kind the schedule kind
 * @param deviceCount p
 * @param microBatchCount m
 * @param virtualStages v, chunks per device (1 for GPipe/1F1B/ZB-H1/ZB-H2, 2 for V-shaped kinds)
 * @param groupSize micro-batches per round of the interleaved schedule (0: the kind's default, p)
 * @param maxInFlightMicroBatches the most activation sets a device may hold at once, counted as
 *     {@code check.InFlight} counts them (one per stage and micro-batch, from F to its last
 *     backward; with v = 1, micro-batches). zb-auto fits its order to it; every other kind has a
 *     fixed count and rejects a limit below it. 0: no limit beyond the kind's own.
 * @param costs the per-stage F, I, W and transfer times the cost-aware kinds (zb-auto, v-half,
 *     v-min) plan with; {@link ActionCosts#UNSPECIFIED} (the default) plans with F = I = W = 1.
 *     Other kinds ignore them: their orders are fixed patterns.
 * @param optimizerPostValidation whether iterations will run back to back with the optimizer step
 *     post-validated ({@code engine.SteadyStateSimulator}): the cost-aware kinds then order for the
 *     steady-state period instead of one iteration's makespan, as the Zero Bubble code's scheduler
 *     does (it minimises the longest device span). Other kinds ignore it.
 */
public record ScheduleRequest(
    ScheduleKind kind,
    int deviceCount,
    int microBatchCount,
    int virtualStages,
    int groupSize,
    int maxInFlightMicroBatches,
    ActionCosts costs,
    boolean optimizerPostValidation) {

  public ScheduleRequest {
    Objects.requireNonNull(kind, "kind");
    Checks.positive("pp (device count)", deviceCount);
    Checks.positive("microbatches", microBatchCount);
    Checks.positive("virtual stages", virtualStages);
    Checks.nonNegative("group size", groupSize);
    Checks.nonNegative("max in-flight micro-batches", maxInFlightMicroBatches);
    Objects.requireNonNull(costs, "costs");
  }

  /** A request for one synchronous iteration. */
  public ScheduleRequest(
      ScheduleKind kind,
      int deviceCount,
      int microBatchCount,
      int virtualStages,
      int groupSize,
      int maxInFlightMicroBatches,
      ActionCosts costs) {
    this(
        kind,
        deviceCount,
        microBatchCount,
        virtualStages,
        groupSize,
        maxInFlightMicroBatches,
        costs,
        false);
  }

  /** A request without costs (the cost-aware kinds plan with unit costs). */
  public ScheduleRequest(
      ScheduleKind kind,
      int deviceCount,
      int microBatchCount,
      int virtualStages,
      int groupSize,
      int maxInFlightMicroBatches) {
    this(
        kind,
        deviceCount,
        microBatchCount,
        virtualStages,
        groupSize,
        maxInFlightMicroBatches,
        ActionCosts.UNSPECIFIED);
  }

  /** The same request with the costs the cost-aware kinds plan with. */
  public ScheduleRequest withCosts(ActionCosts newCosts) {
    return new ScheduleRequest(
        kind,
        deviceCount,
        microBatchCount,
        virtualStages,
        groupSize,
        maxInFlightMicroBatches,
        newCosts,
        optimizerPostValidation);
  }

  /** The same request, ordering for back-to-back post-validated iterations or for one. */
  public ScheduleRequest withOptimizerPostValidation(boolean postValidated) {
    return new ScheduleRequest(
        kind,
        deviceCount,
        microBatchCount,
        virtualStages,
        groupSize,
        maxInFlightMicroBatches,
        costs,
        postValidated);
  }

  public static ScheduleRequest of(
      ScheduleKind kind, int deviceCount, int microBatchCount, int virtualStages) {
    return new ScheduleRequest(kind, deviceCount, microBatchCount, virtualStages, 0, 0);
  }
}
