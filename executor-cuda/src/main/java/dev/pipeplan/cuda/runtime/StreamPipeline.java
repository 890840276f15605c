package dev.pipeplan.cuda.runtime;

import dev.pipeplan.executor.core.layers.DeviceBatch;
import dev.pipeplan.executor.core.layers.Layer;
import dev.pipeplan.executor.core.layers.Layers;
import dev.pipeplan.executor.core.layers.Param;
import dev.pipeplan.executor.core.layers.StageModule;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import dev.pipeplan.executor.core.train.OptimizerSettings;
import dev.pipeplan.executor.core.train.ParameterUpdater;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.data.SyntheticTokens;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * A schedule run on one {@link Ops} per pipeline device. One host thread enqueues every action in
 * the {@link IssueOrder}; activations and gradients pass between stages as device buffers (same
 * GPU: no copy), in maps keyed by (stage, micro-batch), ordered across streams by the timer's event
 * waits. After its actions each device steps the optimizer over its stages' parameters.
 */
public final class StreamPipeline implements AutoCloseable {
  private final ModelSpec model;
  private final Schedule schedule;
  private final StagePlacement placement;
  private final int microBatchSize;
  private final List<ParameterUpdater> updaters;
  private final List<Ops> devices;
  private final List<List<Layer<?>>> stages;
  private final List<StageModule> modules;
  private final List<IssueOrder.Entry> order;
  private final IntFunction<ActionTimer> timers;
  private final SyntheticTokens data;

  /**
   * One iteration's result.
   *
   * @param timeline every action's start and end from the iteration's start
   * @param loss the batch's mean token loss
   */
  public record Iteration(Timeline timeline, double loss) {}

  /**
   * Builds the stages' layers on their devices.
   *
   * @param devices one {@link Ops} per pipeline device (on one GPU: one stream each)
   * @param timers makes the action timer for a given number of actions
   */
  public StreamPipeline(
      ModelSpec model,
      Partition partition,
      Schedule schedule,
      int microBatchSize,
      long seed,
      OptimizerSettings optimizer,
      List<Ops> devices,
      IntFunction<ActionTimer> timers) {
    this.model = Objects.requireNonNull(model, "model");
    this.schedule = Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(optimizer, "optimizer");
    this.devices = List.copyOf(devices);
    this.timers = Objects.requireNonNull(timers, "timers");
    if (microBatchSize <= 0) {
      throw new BadInputException("micro-batch size must be > 0, got " + microBatchSize);
    }
    if (this.devices.size() != schedule.deviceCount()) {
      throw new BadInputException(
          "schedule '"
              + schedule.name()
              + "' has "
              + schedule.deviceCount()
              + " devices but "
              + this.devices.size()
              + " streams were given");
    }
    partition.requireCovers(model);
    CudaModels.checkRunnable(model);
    this.microBatchSize = microBatchSize;
    this.placement = StagePlacement.of(schedule, partition);
    this.order = IssueOrder.of(schedule);
    SplittableRandom[] streams = Layers.streams(model, seed);
    List<List<Layer<?>>> built = new ArrayList<>();
    for (int s = 0; s < placement.stageCount(); s++) {
      Ops ops = this.devices.get(placement.devices().get(s));
      List<Layer<?>> layers = new ArrayList<>();
      for (int l = placement.firstLayers().get(s); l < placement.endLayers().get(s); l++) {
        layers.add(Layers.build(ops, model, l, streams[l]));
      }
      built.add(List.copyOf(layers));
    }
    this.stages = List.copyOf(built);
    List<StageModule> stageModules = new ArrayList<>(built.size());
    for (int s = 0; s < built.size(); s++) {
      stageModules.add(
          new StageModule(
              s,
              this.devices.get(placement.devices().get(s)),
              built.get(s),
              s == 0,
              s == built.size() - 1,
              true));
    }
    this.modules = List.copyOf(stageModules);
    List<ParameterUpdater> ups = new ArrayList<>(this.devices.size());
    for (int d = 0; d < this.devices.size(); d++) {
      List<Param> params = new ArrayList<>();
      for (int s : placement.stagesOf(d)) {
        for (Layer<?> layer : stages.get(s)) {
          params.addAll(layer.parameters());
        }
      }
      ups.add(new ParameterUpdater(optimizer, this.devices.get(d), params));
    }
    this.updaters = List.copyOf(ups);
    this.data =
        new SyntheticTokens(
            seed,
            SyntheticTokens.vocabulary(model),
            SyntheticTokens.sequenceLength(model),
            microBatchSize * schedule.microBatchCount());
  }

  public Schedule schedule() {
    return schedule;
  }

  public StagePlacement placement() {
    return placement;
  }

  /** Runs one iteration; steps the optimizer when asked (leave it out to read the gradients). */
  public Iteration runIteration(int iteration, boolean step) {
    int m = schedule.microBatchCount();
    int seq = SyntheticTokens.sequenceLength(model);
    int lastStage = placement.stageCount() - 1;
    Ops first = devices.get(placement.devices().get(0));
    List<DeviceBatch> batches = new ArrayList<>(m);
    for (int j = 0; j < m; j++) {
      SyntheticTokens.Batch tl = data.samples(iteration, j * microBatchSize, microBatchSize);
      batches.add(
          DeviceBatch.upload(
              first,
              tl.tokens(),
              tl.labels(),
              microBatchSize,
              seq,
              data.lossTerms(),
              tl.featureSeed()));
    }
    for (int s = 0; s < stages.size(); s++) {
      for (Layer<?> layer : stages.get(s)) {
        for (Param p : layer.parameters()) {
          devices.get(placement.devices().get(s)).zero(p.gradient());
        }
      }
    }
    Map<Long, Tensor> forwardInbox = new HashMap<>();
    Map<Long, Tensor> backwardInbox = new HashMap<>();
    long[][] times;
    try (ActionTimer timer = timers.apply(order.size())) {
      timer.begin();
      for (IssueOrder.Entry e : order) {
        int d = e.device();
        for (int dep : e.crossDeviceDependencies()) {
          timer.waitFor(d, dep);
        }
        timer.start(d, e.index());
        run(e.action(), batches, forwardInbox, backwardInbox, lastStage);
        timer.end(d, e.index());
      }
      if (step) {
        for (ParameterUpdater updater : updaters) {
          updater.step();
        }
      }
      times = timer.finish();
    }
    if (!forwardInbox.isEmpty() || !backwardInbox.isEmpty()) {
      throw new IllegalStateException(
          "schedule '"
              + schedule.name()
              + "' left "
              + forwardInbox.size()
              + " activations and "
              + backwardInbox.size()
              + " gradients unconsumed");
    }
    // The loss terms stayed on the device (StageModule's deferLoss): one host read, after the
    // iteration.
    double loss = modules.get(lastStage).drainLoss();
    for (DeviceBatch b : batches) {
      b.release(first);
    }
    List<TimedAction> actions = new ArrayList<>(order.size());
    for (IssueOrder.Entry e : order) {
      actions.add(
          new TimedAction(e.device(), e.action(), times[0][e.index()], times[1][e.index()]));
    }
    actions.sort(
        Comparator.comparingInt(TimedAction::device)
            .thenComparingLong(TimedAction::startNanos)
            .thenComparing(TimedAction::action));
    return new Iteration(
        new Timeline(
            Timeline.MEASURED,
            schedule.name(),
            schedule.deviceCount(),
            actions,
            List.of(),
            List.of()),
        loss);
  }

  private void run(
      Action a,
      List<DeviceBatch> batches,
      Map<Long, Tensor> forwardInbox,
      Map<Long, Tensor> backwardInbox,
      int lastStage) {
    int s = a.stage();
    int mb = a.microBatch();
    StageModule stage = modules.get(s);
    DeviceBatch batch = batches.get(mb);
    switch (a.type()) {
      case F -> {
        Tensor out = stage.forward(mb, s == 0 ? null : take(forwardInbox, s, mb, a), batch);
        if (s < lastStage) {
          forwardInbox.put(key(s + 1, mb), out);
        }
      }
      case I, B -> {
        Tensor grad =
            stage.backwardInput(mb, s == lastStage ? null : take(backwardInbox, s, mb, a));
        if (a.type() == ActionType.B) {
          stage.backwardWeight(mb);
        }
        if (s > 0) {
          backwardInbox.put(key(s - 1, mb), grad);
        }
      }
      case W -> stage.backwardWeight(mb);
    }
  }

  private static Tensor take(Map<Long, Tensor> box, int stage, int mb, Action a) {
    Tensor t = box.remove(key(stage, mb));
    if (t == null) {
      throw new IllegalStateException("action " + a + " found no input from its neighbour stage");
    }
    return t;
  }

  private static long key(int stage, int mb) {
    return ((long) stage << 32) | (mb & 0xffffffffL);
  }

  /** Every parameter's gradient, by name. */
  public Map<String, float[]> gradients() {
    Map<String, float[]> out = new TreeMap<>();
    forEachParam((ops, p) -> out.put(p.name(), ops.download(p.gradient())));
    return out;
  }

  /** Every parameter's value, by name. */
  public Map<String, float[]> weights() {
    Map<String, float[]> out = new TreeMap<>();
    forEachParam((ops, p) -> out.put(p.name(), ops.download(p.value())));
    return out;
  }

  /**
   * A parameter's live host values (host tests perturb them); only for {@link
   * dev.pipeplan.executor.core.ops.HostOps}.
   */
  public double[] parameterValues(String name) {
    double[][] found = new double[1][];
    forEachParam(
        (ops, p) -> {
          if (p.name().equals(name)) {
            found[0] = dev.pipeplan.executor.core.ops.HostOps.values(p.value());
          }
        });
    if (found[0] == null) {
      throw new IllegalArgumentException("no parameter " + name);
    }
    return found[0];
  }

  /** Tensors the parameters hold (value and gradient, plus moments once made). */
  public long parameterTensorCount() {
    long[] n = new long[1];
    forEachParam((ops, p) -> n[0] += p.bytes() / (4 * p.length()));
    return n[0];
  }

  /** Bytes of parameters, gradients and optimizer state on the device(s). */
  public long staticBytes() {
    long[] sum = new long[1];
    forEachParam((ops, p) -> sum[0] += p.bytes());
    return sum[0];
  }

  /** Layer states still held (0 after a complete iteration). */
  public int heldStates() {
    int n = 0;
    for (List<Layer<?>> layers : stages) {
      for (Layer<?> l : layers) {
        n += l.heldMicroBatches();
      }
    }
    return n;
  }

  private void forEachParam(java.util.function.BiConsumer<Ops, Param> f) {
    for (int s = 0; s < stages.size(); s++) {
      Ops ops = devices.get(placement.devices().get(s));
      for (Layer<?> layer : stages.get(s)) {
        for (Param p : layer.parameters()) {
          f.accept(ops, p);
        }
      }
    }
  }

  /** Frees the parameters. */
  @Override
  public void close() {
    for (int s = 0; s < stages.size(); s++) {
      Ops ops = devices.get(placement.devices().get(s));
      for (Layer<?> layer : stages.get(s)) {
        layer.release(ops);
      }
    }
  }
}
