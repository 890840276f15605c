package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.roofline.LayerOps;
import dev.pipeplan.simulator.cost.roofline.LayerRoofline;
import dev.pipeplan.simulator.cost.roofline.Pass;
import dev.pipeplan.simulator.cost.roofline.RooflineOptions;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stage costs from a roofline per op ({@link dev.pipeplan.simulator.cost.roofline}).
 *
 * <p>Each layer's F, I and W is its list of kernels ({@link
 * dev.pipeplan.simulator.cost.roofline.LayerOps}: GEMMs with their shapes, memory-bound ops, the
 * attention core) on one tensor rank, each priced on the stage's device ({@link
 * dev.pipeplan.simulator.cost.roofline.DeviceRoofline}):
 *
 * <pre>
 *   GEMM       max(2mnk / (P·g·tile·wave), e·(mk + kn + mn) / (M·η), launch)
 *   memory op  max(bytes / (M·η), launch)
 *   attention  max(FLOPs run / (P·f), bytes / (M·η), kernels·launch)
 * </pre>
 *
 * plus its tensor-parallel collectives on the intra-node link (a block's two all-reduces in F and
 * two in I, α–β rings). P is the datasheet peak, M the memory bandwidth, g, η, f, the tiles, the SM
 * count and the launch floor come from the device's {@link
 * dev.pipeplan.simulator.cost.roofline.RooflineParameters}, each with its source. A stage's action
 * is the sum over its layers plus the device's per-action {@code launchOverheadNanos}, so stages
 * stay additive in their layers. With recompute, I also pays the stage's forward again. Memory
 * follows {@link LayerSums#withMemory}. {@code docs/design.md} ("Cost models") derives the op lists
 * and lists the sources.
 */
public final class AnalyticCostModel implements CostModel {
  private final ModelSpec model;
  private final TrainingSpec training;
  private final ClusterSpec cluster;
  private final LayerSums sums;
  private final RooflineOptions options;
  private final LayerRoofline roofline;
  private final Map<PassKey, double[][]> passCache = new ConcurrentHashMap<>();

  /** The attention kernel and sequence parallelism the training spec states. */
  public AnalyticCostModel(ModelSpec model, TrainingSpec training, ClusterSpec cluster) {
    this(model, training, cluster, RooflineOptions.of(training));
  }

  public AnalyticCostModel(
      ModelSpec model, TrainingSpec training, ClusterSpec cluster, RooflineOptions options) {
    this.model = Objects.requireNonNull(model, "model");
    this.training = Objects.requireNonNull(training, "training");
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.options = Objects.requireNonNull(options, "options");
    if (options.fp8Linears() && !LayerOps.hasFp8Linears(model)) {
      throw new BadInputException(
          "FP8 linears (--fp8) run the linear layers of transformer blocks in FP8, but model '"
              + model.name()
              + "' has no transformer block with its dimensions given, so nothing would run in"
              + " FP8 as the plan would say. Maybe drop --fp8.");
    }
    this.sums = new LayerSums(model);
    this.roofline = new LayerRoofline(model, training.dtype(), options, cluster.intraNodeLink());
  }

  public RooflineOptions options() {
    return options;
  }

  public ModelSpec model() {
    return model;
  }

  public TrainingSpec training() {
    return training;
  }

  public ClusterSpec cluster() {
    return cluster;
  }

  @Override
  public StageCosts stageCosts(CostRequest request) {
    Objects.requireNonNull(request, "request");
    Partition partition = request.partition();
    checkFits(partition, request);
    int b = request.microBatchSize();
    int t = request.tensorParallel();
    int cp = request.contextParallel();
    List<StageCost> stages = new ArrayList<>(partition.stageCount());
    int first = 0;
    for (int s = 0; s < partition.stageCount(); s++) {
      int end = first + partition.layerCounts().get(s);
      DeviceSpec device = cluster.device(request.clusterDeviceOfStage(s));
      double[][] passes = passNanos(device, b, t, cp, contextParallelLink(request, s));
      double forward = passes[0][end] - passes[0][first];
      double input = passes[1][end] - passes[1][first];
      double weight = passes[2][end] - passes[2][first];
      input += forward * sums.recomputedForwardFraction(first, end, training);
      long overhead = device.launchOverheadNanos();
      stages.add(
          sums.withMemory(
                  first,
                  end,
                  b,
                  t,
                  request.dataParallel(),
                  cp,
                  training,
                  passNanos(forward, overhead, s, first, end, device, "forward"),
                  passNanos(input, overhead, s, first, end, device, "backward-input"),
                  passNanos(weight, overhead, s, first, end, device, "backward-weight"))
              .withHandOffGatherNanos(
                  HandOffGathers.afterStage(
                      model, end, b, t, cp, training, cluster.intraNodeLink())));
      first = end;
    }
    return new StageCosts(
        stages, ClusterLinkModel.of(cluster, request.clusterDevices()), training.blockingSends());
  }

  /**
   * The link a stage's context-parallel ring runs on: its cp ranks, tp cluster devices apart
   * (Megatron's tp-cp-dp-pp order), share the node's link when they are on one node, else the
   * network's. Every replica runs its own ring at the same time, tp·cp devices after the one
   * before, and the slowest sets the pace: on nodes that tp·cp does not divide (cp 3 on nodes of
   * 8), a later replica's ring crosses a node where replica 0's does not.
   */
  private LinkSpec contextParallelLink(CostRequest request, int stage) {
    if (request.contextParallel() == 1) {
      return cluster.intraNodeLink(); // no ring: the link is not read
    }
    long group = (long) request.tensorParallel() * request.contextParallel();
    long span = (long) (request.contextParallel() - 1) * request.tensorParallel();
    for (int r = 0; r < request.dataParallel(); r++) {
      long first = request.clusterDeviceOfStage(stage) + r * group;
      long last = first + span;
      if (last >= cluster.deviceCount()) {
        break;
      }
      if (cluster.nodeOf((int) first) != cluster.nodeOf((int) last)) {
        return cluster.interNodeLink();
      }
    }
    return cluster.intraNodeLink();
  }

  /**
   * Per pass (F, I, W), prefix sums of the layers' times on a device; cached per (device, b, t, cp,
   * the context-parallel link).
   */
  private double[][] passNanos(
      DeviceSpec device,
      int microBatchSize,
      int tensorParallel,
      int contextParallel,
      LinkSpec contextParallelLink) {
    return passCache.computeIfAbsent(
        new PassKey(device, microBatchSize, tensorParallel, contextParallel, contextParallelLink),
        k -> {
          double[][] out = new double[3][];
          Pass[] passes = {Pass.FORWARD, Pass.BACKWARD_INPUT, Pass.BACKWARD_WEIGHT};
          for (int p = 0; p < 3; p++) {
            out[p] =
                roofline.prefixNanos(
                    device,
                    passes[p],
                    microBatchSize,
                    tensorParallel,
                    contextParallel,
                    contextParallelLink);
          }
          return out;
        });
  }

  private record PassKey(
      DeviceSpec device,
      int microBatchSize,
      int tensorParallel,
      int contextParallel,
      LinkSpec contextParallelLink) {}

  /** The simulator's limit on one iteration (CostTables), which no single pass may pass either. */
  private static final double MAX_PASS_NANOS = 0x1p62;

  /**
   * One pass of a stage in whole nanoseconds with the device's launch overhead, refused past 2^62
   * ns: a device with a tiny FLOP rate or memory bandwidth (a typo in a cluster file) gives times
   * that Math.round saturates, and adding the overhead wrapped them to a negative time.
   */
  private static long passNanos(
      double nanos, long overhead, int stage, int first, int end, DeviceSpec device, String pass) {
    double total = nanos + overhead;
    if (!(total <= MAX_PASS_NANOS)) {
      throw new BadInputException(
          String.format(
              java.util.Locale.ROOT,
              "the %s pass of stage %d (layers %d..%d) takes %.3g ns on device '%s', more than"
                  + " the simulator's limit of 2^62 ns (146 years): too large to simulate. Maybe"
                  + " the device's sustained FLOP/s, memory bandwidth or launch overhead is wrong",
              pass,
              stage,
              first,
              end - 1,
              total,
              device.name()));
    }
    return Math.round(nanos) + overhead;
  }

  private void checkFits(Partition partition, CostRequest request) {
    partition.requireCovers(model);
    int t = request.tensorParallel();
    for (int d = 0; d < request.deviceCount(); d++) {
      int last = request.clusterDevices().get(d) + t * request.contextParallel() - 1;
      if (last >= cluster.deviceCount()) {
        throw new BadInputException(
            "pipeline device "
                + d
                + " needs cluster devices "
                + request.clusterDevices().get(d)
                + ".."
                + last
                + " but cluster '"
                + cluster.name()
                + "' has "
                + cluster.deviceCount()
                + " devices. Maybe use a"
                + " smaller --pp, --tp or --cp, or a larger --cluster.");
      }
    }
    if (t > cluster.devicesPerNode()) {
      throw new BadInputException(
          "tensor-parallel degree "
              + t
              + " exceeds the "
              + cluster.devicesPerNode()
              + " devices per node of cluster '"
              + cluster.name()
              + "'. Maybe use --tp "
              + cluster.devicesPerNode()
              + " or fewer.");
    }
    for (int d = 0; d < request.deviceCount() && t > 1; d++) {
      // the tensor-parallel collectives are priced on the intra-node link: a group that crosses
      // a node (a cluster file whose groups have different node sizes) would be priced as if it
      // did not
      int first = request.clusterDevices().get(d);
      int last = first + t - 1;
      if (cluster.nodeOf(first) != cluster.nodeOf(last)) {
        throw new BadInputException(
            "the tensor-parallel group of pipeline device "
                + d
                + " (cluster devices "
                + first
                + ".."
                + last
                + ") spans nodes "
                + cluster.nodeOf(first)
                + " and "
                + cluster.nodeOf(last)
                + " of cluster '"
                + cluster.name()
                + "', but its collectives are priced on the link inside a node. Maybe use a --tp"
                + " that divides the devices per node of every group of the cluster.");
      }
    }
  }
}
