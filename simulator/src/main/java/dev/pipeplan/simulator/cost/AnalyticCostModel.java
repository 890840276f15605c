package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.roofline.LayerRoofline;
import dev.pipeplan.simulator.cost.roofline.Pass;
import dev.pipeplan.simulator.cost.roofline.RooflineOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stage costs from FLOPs and the device's sustained rate.
 *
 * <p>An action that does {@code flops} per sample on a stage with {@code w} weight bytes, at
 * micro-batch size b and tensor-parallel degree t, on a device with sustained rate R and memory
 * bandwidth M, takes
 *
 * <pre>
 *   flops·b / t / (R · efficiency(b))  + launchOverheadNanos  (+ tensor-parallel all-reduces)
 *   efficiency(b) = b / (b + k),  k = R · w / (flops · M)
 * </pre>
 *
 * <p>k is the micro-batch size at which reading the stage's weights from device memory takes as
 * long as the math: the roofline ridge of the weight GEMMs. Below it the kernels are memory-bound
 * and efficiency falls off; well above it they run at the sustained rate. For a GPT block in bf16
 * (2 FLOPs and 2 bytes per weight and token) on the H100 preset (R ≈ 692 TFLOP/s sustained, M =
 * 3.35 TB/s) k = R/M ≈ 207 tokens, so a micro-batch of one 1024-token sequence runs at ~83%, and a
 * 64-token one at ~24%. Written out, the efficiency term is simply {@code w / t / M}: every F, I
 * and W action streams the stage's weights (I reads W for dX = dY·Wᵀ, W writes dW) once. Embedding
 * tables gather rows and are left out of w.
 *
 * <p>With t > 1 each transformer block adds two all-reduces of its output to F and two to I
 * (Megatron's f/g operators), as a ring over the cluster's intra-node link: 2(t-1)/t · bytes /
 * bandwidth + 2(t-1) · latency each. With recompute, I also pays the stage's forward again. Memory
 * follows {@link LayerSums#withMemory}.
 */
public final class AnalyticCostModel implements CostModel {
  private final ModelSpec model;
  private final TrainingSpec training;
  private final ClusterSpec cluster;
  private final LayerSums sums;
  private final RooflineOptions options;
  private final LayerRoofline roofline;
  private final Map<PassKey, double[][]> passCache = new ConcurrentHashMap<>();

  /** Flash attention and no sequence parallelism ({@link RooflineOptions#defaults}). */
  public AnalyticCostModel(ModelSpec model, TrainingSpec training, ClusterSpec cluster) {
    this(model, training, cluster, RooflineOptions.defaults());
  }

  public AnalyticCostModel(
      ModelSpec model, TrainingSpec training, ClusterSpec cluster, RooflineOptions options) {
    this.model = Objects.requireNonNull(model, "model");
    this.training = Objects.requireNonNull(training, "training");
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.options = Objects.requireNonNull(options, "options");
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
    List<StageCost> stages = new ArrayList<>(partition.stageCount());
    int first = 0;
    for (int s = 0; s < partition.stageCount(); s++) {
      int end = first + partition.layerCounts().get(s);
      DeviceSpec device = cluster.device(request.clusterDeviceOfStage(s));
      double[][] passes = passNanos(device, b, t);
      double forward = passes[0][end] - passes[0][first];
      double input = passes[1][end] - passes[1][first];
      double weight = passes[2][end] - passes[2][first];
      if (training.recompute()) {
        input += forward;
      }
      long overhead = device.launchOverheadNanos();
      stages.add(
          sums.withMemory(
              first,
              end,
              b,
              t,
              training,
              Math.round(forward) + overhead,
              Math.round(input) + overhead,
              Math.round(weight) + overhead));
      first = end;
    }
    return new StageCosts(stages, ClusterLinkModel.of(cluster, request.clusterDevices()));
  }

  /**
   * Per pass (F, I, W), prefix sums of the layers' times on a device; cached per (device, b, t).
   */
  private double[][] passNanos(DeviceSpec device, int microBatchSize, int tensorParallel) {
    return passCache.computeIfAbsent(
        new PassKey(device, microBatchSize, tensorParallel),
        k ->
            new double[][] {
              roofline.prefixNanos(device, Pass.FORWARD, microBatchSize, tensorParallel),
              roofline.prefixNanos(device, Pass.BACKWARD_INPUT, microBatchSize, tensorParallel),
              roofline.prefixNanos(device, Pass.BACKWARD_WEIGHT, microBatchSize, tensorParallel)
            });
  }

  private record PassKey(DeviceSpec device, int microBatchSize, int tensorParallel) {}

  private void checkFits(Partition partition, CostRequest request) {
    if (partition.layerCount() != model.layerCount()) {
      throw new BadInputException(
          "partition "
              + partition
              + " covers "
              + partition.layerCount()
              + " layers but model '"
              + model.name()
              + "' has "
              + model.layerCount());
    }
    int t = request.tensorParallel();
    for (int d = 0; d < request.deviceCount(); d++) {
      int last = request.clusterDevices().get(d) + t - 1;
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
                + " smaller --pp or --tp, or a larger --cluster.");
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
  }
}
