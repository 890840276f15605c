package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.roofline.DataParallelOverlap;
import dev.pipeplan.simulator.cost.roofline.RooflineParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The terms of a training iteration that lie outside the pipeline's schedule, for one model,
 * training setup, cluster and placement of the data-parallel replicas: each pipeline device's
 * memory limit, the data-parallel gradient sync (bucketed and overlapped with the backward) and the
 * optimizer step. The iteration time is the simulated pipeline plus the sync plus the step.
 */
public final class IterationCosts {
  private final ModelSpec model;
  private final TrainingSpec training;
  private final ClusterSpec cluster;
  private final int tensorParallel;
  private final List<List<Integer>> replicaDevices;
  private final long memoryLimitBytes;

  /**
   * @param tensorParallel t, the tensor-parallel degree (parameters per rank are a layer's over t)
   * @param replicaDevices for each pipeline device, the cluster device of each replica's first
   *     tensor rank (replica 0 first; every pipeline device has the same number, dp)
   * @param memoryLimitBytes the memory every device may use, overriding the device's own in either
   *     direction; 0 for each device's own
   */
  public IterationCosts(
      ModelSpec model,
      TrainingSpec training,
      ClusterSpec cluster,
      int tensorParallel,
      List<List<Integer>> replicaDevices,
      long memoryLimitBytes) {
    this.model = Objects.requireNonNull(model, "model");
    this.training = Objects.requireNonNull(training, "training");
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    Checks.positive("tensor-parallel degree", tensorParallel);
    this.tensorParallel = tensorParallel;
    Objects.requireNonNull(replicaDevices, "replicaDevices");
    List<List<Integer>> copy = new ArrayList<>(replicaDevices.size());
    for (List<Integer> replicas : replicaDevices) {
      copy.add(List.copyOf(replicas));
    }
    if (copy.isEmpty()
        || copy.get(0).isEmpty()
        || copy.stream().anyMatch(r -> r.size() != copy.get(0).size())) {
      throw new BadInputException(
          "every pipeline device needs the same, positive number of replicas, got "
              + replicaDevices);
    }
    this.replicaDevices = List.copyOf(copy);
    Checks.nonNegative("memory limit", memoryLimitBytes);
    this.memoryLimitBytes = memoryLimitBytes;
  }

  public int pipelineDevices() {
    return replicaDevices.size();
  }

  public int dataParallel() {
    return replicaDevices.get(0).size();
  }

  /**
   * The memory a pipeline device may use: the given limit when there is one (the user knows their
   * devices), else the device's usable memory.
   */
  public long memoryLimitBytes(int pipelineDevice) {
    long own = device(pipelineDevice).memoryBytes();
    return memoryLimitBytes > 0 ? memoryLimitBytes : own;
  }

  /**
   * Gradient all-reduce across replicas, bucketed and overlapped with the backward as Megatron's
   * distributed data parallel and PyTorch DDP run it: per pipeline device, the ring over the link
   * its replicas share, less what the last micro-batch's backward on that device hides ({@link
   * DataParallelOverlap}); the slowest device counts.
   *
   * @param stageToDevice for each global virtual stage, its pipeline device
   * @param stageCosts the partition's stage costs, from the cost model
   */
  public long dataParallelSyncNanos(
      Partition partition, List<Integer> stageToDevice, List<StageCost> stageCosts) {
    int dp = dataParallel();
    if (dp == 1) {
      return 0;
    }
    long[] params = parametersPerDevice(partition, stageToDevice);
    long[] backward = new long[pipelineDevices()];
    for (int s = 0; s < stageCosts.size(); s++) {
      backward[stageToDevice.get(s)] +=
          stageCosts.get(s).backwardInputNanos() + stageCosts.get(s).backwardWeightNanos();
    }
    long bucket = DataParallelOverlap.bucketParameters(dp);
    long worst = 0;
    for (int d = 0; d < pipelineDevices(); d++) {
      long bytes = params[d] * training.optimizer().gradientBytesPerParameter();
      long allReduce = ringAllReduceNanos(bytes, dp, replicaLink(d));
      worst =
          Math.max(
              worst, DataParallelOverlap.exposedNanos(allReduce, backward[d], params[d], bucket));
    }
    return worst;
  }

  /**
   * A lower bound of the exposed all-reduce, whatever the partition: the device with the most
   * parameters has at least the average, and at least its last bucket (or all of it, if smaller) is
   * exposed; counted at the ring's bandwidth term alone over the faster link.
   */
  public long dataParallelSyncLowerBoundNanos() {
    int dp = dataParallel();
    if (dp == 1) {
      return 0;
    }
    long average = model.totalParameters() / tensorParallel / pipelineDevices();
    long exposedParameters = Math.min(average, DataParallelOverlap.bucketParameters(dp));
    double bytes = (double) exposedParameters * training.optimizer().gradientBytesPerParameter();
    double bandwidth =
        Math.max(
            cluster.intraNodeLink().bandwidthBytesPerSecond(),
            cluster.interNodeLink().bandwidthBytesPerSecond());
    return (long) Math.floor(2.0 * (dp - 1) / dp * bytes / bandwidth * 1e9);
  }

  /**
   * The optimizer step as memory traffic: each device reads and writes its weights, gradients and
   * state once, at the memory bandwidth a streaming kernel reaches ({@link
   * RooflineParameters#hbmEfficiency}); the slowest counts.
   *
   * @param stageToDevice for each global virtual stage, its pipeline device
   */
  public long optimizerStepNanos(Partition partition, List<Integer> stageToDevice) {
    long[] params = parametersPerDevice(partition, stageToDevice);
    long perParameter =
        training.dtype().bytes()
            + training.optimizer().gradientBytesPerParameter()
            + 2L * training.optimizer().stateBytesPerParameter();
    long worst = 0;
    for (int d = 0; d < params.length; d++) {
      DeviceSpec device = device(d);
      double bandwidth =
          device.memoryBandwidthBytesPerSecond() * RooflineParameters.of(device).hbmEfficiency();
      worst = Math.max(worst, (long) Math.ceil(params[d] * perParameter * 1e9 / bandwidth));
    }
    return worst;
  }

  /** Ring all-reduce of {@code bytes} over {@code ranks} ranks: 2(r-1) steps of bytes/r each. */
  public static long ringAllReduceNanos(long bytes, int ranks, LinkSpec link) {
    if (ranks <= 1 || bytes <= 0) {
      return 0;
    }
    long chunk = (bytes + ranks - 1) / ranks;
    return 2L * (ranks - 1) * link.transferNanos(chunk);
  }

  private DeviceSpec device(int pipelineDevice) {
    return cluster.device(replicaDevices.get(pipelineDevice).get(0));
  }

  /** The inter-node link when any replica of the pipeline device sits on another node. */
  private LinkSpec replicaLink(int pipelineDevice) {
    List<Integer> replicas = replicaDevices.get(pipelineDevice);
    int node = cluster.nodeOf(replicas.get(0));
    for (int r = 1; r < replicas.size(); r++) {
      if (cluster.nodeOf(replicas.get(r)) != node) {
        return cluster.interNodeLink();
      }
    }
    return cluster.intraNodeLink();
  }

  /** Parameters on one tensor rank of each pipeline device. */
  private long[] parametersPerDevice(Partition partition, List<Integer> stageToDevice) {
    long[] params = new long[pipelineDevices()];
    int first = 0;
    for (int s = 0; s < partition.stageCount(); s++) {
      int end = first + partition.layerCounts().get(s);
      long sum = 0;
      for (int i = first; i < end; i++) {
        sum += (model.layer(i).parameterCount() + tensorParallel - 1) / tensorParallel;
      }
      params[stageToDevice.get(s)] += sum;
      first = end;
    }
    return params;
  }
}
