package dev.pipeplan.simulator.engine;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;

/**
 * Per-stage costs laid out for the simulator's inner loop: every table is indexed by {@code stage *
 * 4 + type} (F, I, W, B), so an action's duration, incoming transfer time and memory change are one
 * array read each. Built in O(stages) per simulation; the link model is asked once per stage
 * boundary, never per action.
 */
final class CostTables {
  private static final int[] IN_FLIGHT_DELTA = {1, 0, -1, -1};

  final long[] durationNanos;

  /**
   * Transfer time of the action's cross-stage dependency's data (0 on one device or without bytes).
   */
  final long[] transferNanos;

  /** Bytes of that transfer. */
  final long[] transferBytes;

  /**
   * How long the action's own output transfer holds its device after it ends: the transfer time
   * with blocking sends, else 0.
   */
  final long[] sendNanos;

  final long[] memoryDeltaBytes;
  final long[] staticBytesPerDevice;

  private CostTables(CompiledSchedule schedule, StageCosts costs) {
    int stages = schedule.stageCount();
    if (costs.stageCount() != stages) {
      throw new BadInputException(
          "stage costs describe "
              + costs.stageCount()
              + " stages but schedule '"
              + schedule.schedule().name()
              + "' has "
              + stages
              + " (p*v). Maybe the partition has a different stage count than pp*v.");
    }
    int size = stages * CompiledSchedule.TYPES;
    durationNanos = new long[size];
    transferNanos = new long[size];
    transferBytes = new long[size];
    sendNanos = new long[size];
    memoryDeltaBytes = new long[size];
    staticBytesPerDevice = new long[schedule.deviceCount()];
    // A device runs one backward at a time: it reserves its largest stage workspace once.
    long[] workspacePerDevice = new long[schedule.deviceCount()];
    for (int s = 0; s < stages; s++) {
      StageCost c = costs.stage(s);
      int base = s * CompiledSchedule.TYPES;
      durationNanos[base + CompiledSchedule.F] = c.forwardNanos();
      durationNanos[base + CompiledSchedule.I] = c.backwardInputNanos();
      durationNanos[base + CompiledSchedule.W] = c.backwardWeightNanos();
      // saturated rather than exact: a sum past a long is refused by requireSimulable below,
      // with the limit, instead of failing here with an overflow
      durationNanos[base + CompiledSchedule.B] =
          saturatedAdd(c.backwardInputNanos(), c.backwardWeightNanos());
      memoryDeltaBytes[base + CompiledSchedule.F] = c.activationBytes();
      memoryDeltaBytes[base + CompiledSchedule.I] = -c.inputGradFreedBytes();
      memoryDeltaBytes[base + CompiledSchedule.W] =
          -(c.activationBytes() - c.inputGradFreedBytes());
      memoryDeltaBytes[base + CompiledSchedule.B] = -c.activationBytes();
      staticBytesPerDevice[schedule.deviceOfStage(s)] += c.staticBytes();
      workspacePerDevice[schedule.deviceOfStage(s)] =
          Math.max(workspacePerDevice[schedule.deviceOfStage(s)], c.workspaceBytes());
      int device = schedule.deviceOfStage(s);
      if (s > 0) {
        int from = schedule.deviceOfStage(s - 1);
        transferBytes[base + CompiledSchedule.F] = costs.stage(s - 1).outputBytes();
        transferNanos[base + CompiledSchedule.F] = costs.handOffNanos(s - 1, from, device);
        // the receiving ranks gather a scattered input on their own device before F runs
        durationNanos[base + CompiledSchedule.F] =
            saturatedAdd(
                durationNanos[base + CompiledSchedule.F], costs.gatherNanos(s - 1, from, device));
        if (costs.blockingSends()) {
          // B (or I) sends its input gradient back to the previous stage's B (or I)
          long back = costs.handOffNanos(s - 1, device, from);
          sendNanos[base + CompiledSchedule.B] = back;
          sendNanos[base + CompiledSchedule.I] = back;
        }
      }
      if (s + 1 < stages) {
        int to = schedule.deviceOfStage(s + 1);
        long nanos = costs.handOffNanos(s, to, device);
        long gather = costs.gatherNanos(s, to, device);
        transferBytes[base + CompiledSchedule.I] = c.outputBytes();
        transferBytes[base + CompiledSchedule.B] = c.outputBytes();
        transferNanos[base + CompiledSchedule.I] = nanos;
        transferNanos[base + CompiledSchedule.B] = nanos;
        durationNanos[base + CompiledSchedule.I] =
            saturatedAdd(durationNanos[base + CompiledSchedule.I], gather);
        durationNanos[base + CompiledSchedule.B] =
            saturatedAdd(durationNanos[base + CompiledSchedule.B], gather);
        if (costs.blockingSends()) {
          // F sends its output to the next stage's F
          sendNanos[base + CompiledSchedule.F] = costs.handOffNanos(s, device, to);
        }
      }
    }
    for (int d = 0; d < workspacePerDevice.length; d++) {
      staticBytesPerDevice[d] = Math.addExact(staticBytesPerDevice[d], workspacePerDevice[d]);
    }
    requireSimulable(schedule);
  }

  /** No action can end later than every action's time, transfer and send one after another. */
  static final double MAX_ITERATION_NANOS = 0x1p62;

  /**
   * Refuses costs whose iteration could outlast a {@code long} of nanoseconds: every action of the
   * schedule, its incoming transfer and its send, one after another, must stay within 2^62 ns
   * (about 146 years), so that no end time the simulator adds up can overflow.
   */
  private void requireSimulable(CompiledSchedule schedule) {
    double perMicroBatch = 0;
    for (int i = 0; i < durationNanos.length; i++) {
      perMicroBatch += (double) durationNanos[i] + transferNanos[i] + sendNanos[i];
    }
    double total = perMicroBatch * schedule.schedule().microBatchCount();
    if (total > MAX_ITERATION_NANOS) {
      throw new BadInputException(
          String.format(
              java.util.Locale.ROOT,
              "the stage costs add up to %.3g ns over %d micro-batches, more than the simulator's"
                  + " limit of 2^62 ns (146 years) per iteration: too large to simulate. Maybe the"
                  + " profile's or the model's times are wrong",
              total,
              schedule.schedule().microBatchCount()));
    }
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }

  static CostTables of(CompiledSchedule schedule, StageCosts costs) {
    return new CostTables(schedule, costs);
  }

  /**
   * +1 for F, -1 for the action that frees the last of a micro-batch's activations (W or B), 0 for
   * I.
   */
  static int inFlightDelta(int typeCode) {
    return IN_FLIGHT_DELTA[typeCode];
  }
}
