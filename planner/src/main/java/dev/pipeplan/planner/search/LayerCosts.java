package dev.pipeplan.planner.search;

import dev.pipeplan.simulator.cost.CostModel;
import dev.pipeplan.simulator.cost.CostRequest;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Per-layer numbers the partitioner works on, for one micro-batch size b and tensor-parallel degree
 * tp, read from the simulator's cost model by pricing every layer as a stage of its own on cluster
 * device 0: the layer's work (F + I + W without the fixed per-action overhead), static bytes,
 * activation bytes and parameters. The cost models price a stage as the sum of its layers plus one
 * overhead per action, so these sums give any stage's time up to rounding; the plan's stage costs
 * themselves always come from the cost model, for the whole partition.
 */
public final class LayerCosts {
  private final long[] workNanos;
  private final long[] chainNanos;
  private final long[] staticBytes;
  private final long[] activationBytes;
  private final long[] parameters;
  private final long[] outputBytes;
  private final long actionOverheadNanos;
  private final long maxWorkspaceBytes;

  private LayerCosts(
      long[] workNanos,
      long[] chainNanos,
      long[] staticBytes,
      long[] activationBytes,
      long[] parameters,
      long[] outputBytes,
      long actionOverheadNanos,
      long maxWorkspaceBytes) {
    this.outputBytes = outputBytes;
    this.maxWorkspaceBytes = maxWorkspaceBytes;
    this.workNanos = workNanos;
    this.chainNanos = chainNanos;
    this.staticBytes = staticBytes;
    this.activationBytes = activationBytes;
    this.parameters = parameters;
    this.actionOverheadNanos = actionOverheadNanos;
  }

  /**
   * Prices each layer alone with {@code costModel}.
   *
   * @param layerParameters per layer, its parameter count (the whole layer; divided by tp here)
   * @param dp the data-parallel degree (with cp, the divisor of a sharded optimizer's bytes)
   * @param cp the context-parallel degree
   * @param actionOverheadNanos the fixed time the cost model adds to each F, I and W action
   */
  public static LayerCosts of(
      CostModel costModel,
      long[] layerParameters,
      int b,
      int tp,
      int dp,
      int cp,
      long actionOverheadNanos) {
    Objects.requireNonNull(costModel, "costModel");
    int n = layerParameters.length;
    Partition singles = new Partition(Collections.nCopies(n, 1));
    CostRequest request =
        new CostRequest(singles, b, Collections.nCopies(n, 0), List.of(0), tp, dp, cp);
    StageCosts priced = costModel.stageCosts(request);
    long[] work = new long[n];
    long[] chain = new long[n];
    long[] stat = new long[n];
    long[] act = new long[n];
    long[] params = new long[n];
    long[] output = new long[n];
    long workspace = 0;
    for (int i = 0; i < n; i++) {
      StageCost c = priced.stage(i);
      work[i] =
          Math.max(
              0,
              c.forwardNanos()
                  + c.backwardInputNanos()
                  + c.backwardWeightNanos()
                  - 3 * actionOverheadNanos);
      chain[i] = Math.max(0, c.forwardNanos() + c.backwardInputNanos() - 2 * actionOverheadNanos);
      stat[i] = c.staticBytes();
      act[i] = c.activationBytes();
      output[i] = c.outputBytes();
      workspace = Math.max(workspace, c.workspaceBytes());
      params[i] = (layerParameters[i] + tp - 1) / tp;
    }
    return new LayerCosts(work, chain, stat, act, params, output, actionOverheadNanos, workspace);
  }

  public int layerCount() {
    return workNanos.length;
  }

  /** F + I + W of each layer, overheads left out: the partitioner's per-layer work. */
  public long[] workNanos() {
    return workNanos.clone();
  }

  /**
   * F + I of each layer, overheads left out: the part of a layer's work on the chain every
   * micro-batch's forward and input-gradient backward run along (W can wait).
   */
  public long[] chainNanos() {
    return chainNanos.clone();
  }

  public long[] staticBytes() {
    return staticBytes.clone();
  }

  /**
   * The largest single layer's backward workspace (full recomputation): a bound on what any device
   * reserves once, whatever its layers.
   */
  public long maxWorkspaceBytes() {
    return maxWorkspaceBytes;
  }

  public long[] activationBytes() {
    return activationBytes.clone();
  }

  /**
   * Bytes each layer's output takes for one micro-batch: what crosses to the next stage when a
   * stage ends at that layer (and, as its gradient, comes back).
   */
  public long[] outputBytes() {
    return outputBytes.clone();
  }

  public long[] parameters() {
    return parameters.clone();
  }

  public long actionOverheadNanos() {
    return actionOverheadNanos;
  }

  /** Total work of all layers. */
  public long totalWorkNanos() {
    long sum = 0;
    for (long w : workNanos) {
      sum += w;
    }
    return sum;
  }

  /** Parameters on one tensor rank of layers [first, end). */
  public long parameters(int first, int end) {
    long sum = 0;
    for (int i = first; i < end; i++) {
      sum += parameters[i];
    }
    return sum;
  }

  /** Per-layer lists, for tests and reports. */
  List<Long> workList() {
    List<Long> out = new ArrayList<>(workNanos.length);
    for (long w : workNanos) {
      out.add(w);
    }
    return out;
  }
}
