package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.roofline.DataParallelOverlap;
import dev.pipeplan.simulator.cost.roofline.DeviceRoofline;
import dev.pipeplan.simulator.cost.roofline.LayerOps;
import dev.pipeplan.simulator.cost.roofline.ModelFeatures;
import dev.pipeplan.simulator.cost.roofline.Op;
import dev.pipeplan.simulator.cost.roofline.RooflineOptions;
import dev.pipeplan.simulator.cost.roofline.RooflineParameters;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Predicate;

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
  private final OptionalLong memoryLimitBytes;
  private final TiedHead tied;

  /**
   * Per device preset, the prefix sums over the model's layers of their FP8 weight casts' time
   * ({@link #fp8WeightCastNanos}): the search asks for the step of many candidates of one
   * parallelism, and the casts depend only on the layer, tp and the device.
   */
  private final java.util.Map<DeviceSpec, double[]> castPrefix =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * @param tensorParallel t, the tensor-parallel degree (parameters per rank are a layer's over t)
   * @param replicaDevices for each pipeline device, the cluster device of the first tensor rank of
   *     each rank that holds the same weights: every replica's, and with context parallelism every
   *     context-parallel rank of each (replica 0 first; every pipeline device has the same number,
   *     dp·cp, the group the gradients are reduced and the optimizer sharded over)
   * @param memoryLimitBytes the memory every device may use, overriding the device's own in either
   *     direction; empty for each device's own
   */
  public IterationCosts(
      ModelSpec model,
      TrainingSpec training,
      ClusterSpec cluster,
      int tensorParallel,
      List<List<Integer>> replicaDevices,
      OptionalLong memoryLimitBytes) {
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
    this.memoryLimitBytes = Objects.requireNonNull(memoryLimitBytes, "memoryLimitBytes");
    this.tied = TiedHead.of(model);
    memoryLimitBytes.ifPresent(bytes -> Checks.positive("memory limit", bytes));
  }

  /**
   * Bytes per parameter of a gradient reduction over data parallelism: fp32 unless the gradients
   * are accumulated in the training dtype ({@link
   * dev.pipeplan.models.GradientAccumulation#IN_PLACE}). Megatron-LM reduces bf16 training's
   * gradients in fp32 unless told {@code --grad-reduce-in-bf16}, DeepSpeed's bf16 optimizer
   * accumulates and reduces them in fp32 and torchtitan's FSDP reduces in fp32 by default.
   */
  int reduceBytesPerParameter() {
    return training.gradientAccumulation().reduceBytesPerParameter(training.dtype().bytes());
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
    return memoryLimitBytes.orElse(device(pipelineDevice).memoryBytes());
  }

  /**
   * Gradient all-reduce across replicas, bucketed and overlapped with the backward as Megatron's
   * distributed data parallel and PyTorch DDP run it: per pipeline device, the ring over the link
   * its replicas share, less what the last micro-batch's backward on that device hides ({@link
   * DataParallelOverlap}); the slowest device counts. With the optimizer sharded (ZeRO-1 and 2) a
   * reduce-scatter of the gradients under the last backward and an all-gather of the weights under
   * the first forward; with ZeRO-3 (FSDP) the weights' all-gathers and the gradients'
   * reduce-scatters of every micro-batch ({@link #shardedWeightsNanos}).
   *
   * @param stageToDevice for each global virtual stage, its pipeline device
   * @param stageCosts the partition's stage costs, from the cost model
   * @param microBatches m, the micro-batches of one iteration
   */
  public long dataParallelSyncNanos(
      Partition partition,
      List<Integer> stageToDevice,
      List<StageCost> stageCosts,
      int microBatches) {
    Checks.positive("micro-batches", microBatches);
    long tiedSync = tiedTableSyncNanos(partition, stageToDevice);
    int dp = dataParallel();
    if (dp == 1) {
      return tiedSync;
    }
    long[] params = parametersPerDevice(partition, stageToDevice);
    long[] forward = new long[pipelineDevices()];
    long[] backward = new long[pipelineDevices()];
    int[] layers = new int[pipelineDevices()];
    for (int s = 0; s < stageCosts.size(); s++) {
      int d = stageToDevice.get(s);
      forward[d] += stageCosts.get(s).forwardNanos();
      backward[d] +=
          stageCosts.get(s).backwardInputNanos() + stageCosts.get(s).backwardWeightNanos();
      layers[d] += partition.layerCounts().get(s);
    }
    long[] embedding = embeddingParametersPerDevice(partition, stageToDevice);
    // Without overlap nothing hides the traffic: no backward or forward window.
    boolean after = training.gradientSyncAfterBackward();
    long worst = 0;
    for (int d = 0; d < pipelineDevices(); d++) {
      // The engines bucket the gradients in reverse parameter order, so the embedding table, the
      // model's first parameter, is in the bucket reduced last, after the backward, and gathered
      // first, before the forward: that bucket holds at least the whole table.
      long bucket = Math.max(DataParallelOverlap.bucketParameters(dp), embedding[d]);
      long exposed;
      if (training.optimizerSharding().shardsParameters()) {
        exposed =
            shardedWeightsNanos(
                params[d],
                layers[d],
                (forward[d] + backward[d]) * (long) microBatches,
                microBatches,
                replicaLink(d));
      } else if (training.optimizerSharding().shardsState()) {
        // The distributed optimizer: gradients reduce-scattered in their accumulation dtype (fp32
        // for mixed precision: Megatron-LM reduces bf16 training's gradients in fp32 unless told
        // --grad-reduce-in-bf16, as torchtitan's FSDP does by default) under the last backward,
        // the updated weights all-gathered in the training dtype under the next iteration's first
        // forward (--overlap-param-gather), each bucketed.
        LinkSpec link = replicaLink(d);
        long reduceBytes = params[d] * reduceBytesPerParameter();
        // DeepSpeed's bf16 optimizer all-reduces the gradients although each replica steps its
        // share.
        long scatter =
            training.gradientAllReduce()
                ? ringAllReduceNanos(reduceBytes, dp, link)
                : ringGatherNanos(reduceBytes, dp, link);
        long gather = ringGatherNanos(params[d] * training.dtype().bytes(), dp, link);
        exposed =
            after
                ? scatter + gather
                : DataParallelOverlap.exposedNanos(scatter, backward[d], params[d], bucket)
                    + DataParallelOverlap.exposedNanos(gather, forward[d], params[d], bucket);
      } else {
        long bytes = params[d] * reduceBytesPerParameter();
        long allReduce = ringAllReduceNanos(bytes, dp, replicaLink(d));
        exposed =
            after
                ? allReduce
                : DataParallelOverlap.exposedNanos(allReduce, backward[d], params[d], bucket);
      }
      worst = Math.max(worst, exposed);
    }
    return worst + tiedSync;
  }

  /**
   * The all-reduce of a tied embedding table's gradient between the pipeline devices of the
   * embedding and of the head, when they differ ({@link TiedHead}): fp32, over the link between
   * them, after everything else. A head cut into vocabulary slices over several devices reduces
   * each device's rows with the embedding's device, one device after another (the embedding's
   * device takes part in each).
   */
  long tiedTableSyncNanos(Partition partition, List<Integer> stageToDevice) {
    if (tied.headIndex() < 0) {
      return 0;
    }
    int embeddingDevice = -1;
    int stages = partition.stageCount();
    int[] firstLayer = new int[stages + 1];
    for (int s = 0; s < stages; s++) {
      firstLayer[s + 1] = firstLayer[s] + partition.layerCounts().get(s);
      if (tied.embeddingIndex() >= firstLayer[s] && tied.embeddingIndex() < firstLayer[s + 1]) {
        embeddingDevice = stageToDevice.get(s);
      }
    }
    if (embeddingDevice < 0) {
      return 0;
    }
    long[] rows = new long[replicaDevices.size()];
    for (int s = 0; s < stages; s++) {
      int device = stageToDevice.get(s);
      if (device != embeddingDevice) {
        rows[device] += tied.copyParameters(firstLayer[s], firstLayer[s + 1]);
      }
    }
    long total = 0;
    for (int device = 0; device < rows.length; device++) {
      if (rows[device] == 0) {
        continue;
      }
      LinkSpec link =
          cluster.nodeOf(replicaDevices.get(embeddingDevice).get(0))
                  == cluster.nodeOf(replicaDevices.get(device).get(0))
              ? cluster.intraNodeLink()
              : cluster.interNodeLink();
      long bytes =
          Math.multiplyExact(
              (rows[device] + tensorParallel - 1) / tensorParallel,
              (long) reduceBytesPerParameter());
      total += ringAllReduceNanos(bytes, 2, link);
    }
    return total;
  }

  /**
   * FSDP's traffic on one pipeline device, as PyTorch FSDP and DeepSpeed ZeRO-3 run it: for every
   * micro-batch, each layer's weights are all-gathered before its forward and again before its
   * backward (they are freed in between), and its gradients reduce-scattered after the backward.
   * Prefetching runs each layer's collectives under its neighbours' compute, so what shows is the
   * excess over the device's compute, and at least the first layer's gather and the last layer's
   * reduce-scatter, which nothing hides.
   *
   * @param parameters the device's parameters (one tensor rank)
   * @param layers the layers the device holds
   * @param computeNanos the device's forwards and backwards over the iteration
   */
  long shardedWeightsNanos(
      long parameters, int layers, long computeNanos, int microBatches, LinkSpec link) {
    int dp = dataParallel();
    long gather = ringGatherNanos(parameters * training.dtype().bytes(), dp, link);
    long scatter = ringGatherNanos(parameters * reduceBytesPerParameter(), dp, link);
    long traffic = (2 * gather + scatter) * (long) microBatches;
    long unhidden = layers == 0 ? 0 : (gather + scatter) / layers;
    return Math.max(traffic - computeNanos, unhidden);
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
    if (training.optimizerSharding().shardsParameters()) {
      return 0; // FSDP hides all but a layer's share, which a bound before partitioning cannot know
    }
    long average = model.totalParameters() / tensorParallel / pipelineDevices();
    long exposedParameters = Math.min(average, DataParallelOverlap.bucketParameters(dp));
    // A reduce-scatter and an all-gather in the dtype, or an all-reduce of the gradients: each the
    // two ring halves of (dp − 1)/dp.
    long bytesPerParameter =
        training.optimizerSharding().shardsState()
            ? training.dtype().bytes()
            : training.optimizer().gradientBytesPerParameter();
    double bytes = (double) exposedParameters * bytesPerParameter;
    double bandwidth =
        Math.max(
            cluster.intraNodeLink().bandwidthBytesPerSecond(),
            cluster.interNodeLink().bandwidthBytesPerSecond());
    return (long) Math.floor(2.0 * (dp - 1) / dp * bytes / bandwidth * 1e9);
  }

  /**
   * Bytes one parameter's optimizer step moves through device memory, as Megatron's mixed-precision
   * optimizer ({@code Float16OptimizerWithFloat16Params.step}) runs it: the update reads the
   * weights and the gradients (in the buffer they were accumulated in, {@link
   * TrainingSpec#gradientBytesPerParameter}: fp32 main gradients unless added in place) and reads
   * and writes the state (the optimizer's own, without the fp32 gradient copy, which is counted
   * here as it is made); the gradient-norm for clipping reads the gradients once more; with an fp32
   * master copy of 16-bit weights, the updated master weights are copied back (read 4, write the
   * training dtype); with fp16, 16-bit gradients are first cast to fp32 (read, write 4), and the
   * fp32 gradients are unscaled with an overflow check (read 4, write 4).
   */
  static long optimizerStepBytesPerParameter(TrainingSpec training) {
    int weight = training.dtype().bytes();
    int gradient = training.gradientBytesPerParameter();
    int state = training.optimizer().stateBytesPerParameter();
    long bytes = weight + gradient + 2L * state + gradient;
    boolean master = weight < 4 && state >= 4;
    if (master) {
      bytes += 4 + weight;
      if (training.dtype() == dev.pipeplan.models.DType.FP16) {
        bytes += (gradient < 4 ? gradient + 4 : 0) + 4 + 4;
      }
    }
    return bytes;
  }

  /**
   * The optimizer step as memory traffic ({@link #optimizerStepBytesPerParameter}), at the memory
   * bandwidth a streaming kernel reaches ({@link RooflineParameters#hbmEfficiency}); the slowest
   * counts. With the optimizer state sharded over dp (ZeRO-1 and up), each replica steps only its
   * 1/dp share. With FP8 weights cast once an iteration ({@link
   * TrainingSpec#castsFp8WeightsOncePerIteration}) each device's casts are counted here too ({@link
   * #fp8WeightCastNanos}).
   *
   * @param stageToDevice for each global virtual stage, its pipeline device
   */
  public long optimizerStepNanos(Partition partition, List<Integer> stageToDevice) {
    long[] params = parametersPerDevice(partition, stageToDevice);
    long[] casts = fp8WeightCastNanos(partition, stageToDevice);
    long perParameter = optimizerStepBytesPerParameter(training);
    long worst = 0;
    for (int d = 0; d < params.length; d++) {
      DeviceSpec device = device(d);
      double bandwidth =
          device.memoryBandwidthBytesPerSecond() * RooflineParameters.of(device).hbmEfficiency();
      double stepped =
          training.optimizerSharding().shardsState()
              ? (double) params[d] / dataParallel()
              : params[d];
      worst =
          Math.max(worst, (long) Math.ceil(stepped * perParameter * 1e9 / bandwidth) + casts[d]);
    }
    return worst;
  }

  /**
   * Per pipeline device, the casts of its FP8 weights (one tensor rank's) when an iteration runs
   * them once ({@link LayerOps#fp8WeightCasts}): Transformer Engine casts each weight and its
   * transposed copy in the first micro-batch and reuses them, Megatron's FP8 parameter gather
   * writes them in the step; either way once, priced beside the step. Zeros otherwise.
   */
  private long[] fp8WeightCastNanos(Partition partition, List<Integer> stageToDevice) {
    long[] nanos = new long[pipelineDevices()];
    if (!training.castsFp8WeightsOncePerIteration()) {
      return nanos;
    }
    double[] sum = new double[nanos.length];
    int first = 0;
    for (int s = 0; s < partition.stageCount(); s++) {
      int end = first + partition.layerCounts().get(s);
      int d = stageToDevice.get(s);
      double[] prefix = castPrefix.computeIfAbsent(device(d), this::castPrefixSums);
      sum[d] += prefix[end] - prefix[first];
      first = end;
    }
    for (int d = 0; d < nanos.length; d++) {
      nanos[d] = (long) Math.ceil(sum[d]);
    }
    return nanos;
  }

  /**
   * The prefix sums over the layers of their FP8 weight casts' time on one tensor rank of {@code
   * device}.
   */
  private double[] castPrefixSums(DeviceSpec device) {
    RooflineOptions options = RooflineOptions.of(training);
    ModelFeatures features = ModelFeatures.of(model);
    DeviceRoofline roofline = DeviceRoofline.of(device, training.dtype());
    double[] prefix = new double[model.layerCount() + 1];
    for (int i = 0; i < model.layerCount(); i++) {
      double layer = 0;
      for (Op cast :
          LayerOps.fp8WeightCasts(
              model.layer(i), tensorParallel, training.dtype().bytes(), features, options)) {
        layer += cast.nanos(roofline);
      }
      prefix[i + 1] = prefix[i] + layer;
    }
    return prefix;
  }

  /**
   * Ring all-gather (or reduce-scatter) of {@code bytes} in all over {@code ranks} ranks: r−1 steps
   * of bytes/r each.
   */
  public static long ringGatherNanos(long bytes, int ranks, LinkSpec link) {
    if (ranks <= 1 || bytes <= 0) {
      return 0;
    }
    long chunk = (bytes + ranks - 1) / ranks;
    return (ranks - 1) * link.transferNanos(chunk);
  }

  /** Ring all-reduce of {@code bytes} over {@code ranks} ranks: 2(r-1) steps of bytes/r each. */
  public static long ringAllReduceNanos(long bytes, int ranks, LinkSpec link) {
    // A reduce-scatter, then an all-gather of the reduced chunks.
    return 2 * ringGatherNanos(bytes, ranks, link);
  }

  private DeviceSpec device(int pipelineDevice) {
    return cluster.device(replicaDevices.get(pipelineDevice).get(0));
  }

  /**
   * The link the replicas' ring runs over: the intra-node link when they share a node; across
   * nodes, the inter-node link (one network interface per device, as on DGX systems) times the
   * fewest replicas any node holds, at most the intra-node link. With k replicas on a node NCCL
   * runs k rings at once, each leaving the node through its own interface with 1/k of the data, so
   * a node's k interfaces carry the traffic together (a DGX A100's 8 × 200 Gb/s give about 190 GB/s
   * of bus bandwidth between nodes, a single interface 25 GB/s).
   */
  LinkSpec replicaLink(int pipelineDevice) {
    List<Integer> replicas = replicaDevices.get(pipelineDevice);
    java.util.Map<Integer, Integer> perNode = new java.util.TreeMap<>();
    for (int device : replicas) {
      perNode.merge(cluster.nodeOf(device), 1, Integer::sum);
    }
    if (perNode.size() == 1) {
      return cluster.intraNodeLink();
    }
    int fewest = java.util.Collections.min(perNode.values());
    LinkSpec inter = cluster.interNodeLink();
    if (fewest == 1) {
      return inter;
    }
    double bandwidth =
        Math.min(
            fewest * inter.bandwidthBytesPerSecond(),
            Math.max(
                inter.bandwidthBytesPerSecond(),
                cluster.intraNodeLink().bandwidthBytesPerSecond()));
    return new LinkSpec(inter.name() + " x" + fewest, bandwidth, inter.latencyNanos());
  }

  /** Each pipeline device's embedding parameters (token and position tables), one tensor rank. */
  private long[] embeddingParametersPerDevice(Partition partition, List<Integer> stageToDevice) {
    return parametersPerDevice(
        partition, stageToDevice, layer -> layer.kind() == LayerKind.EMBEDDING, false);
  }

  /** Parameters on one tensor rank of each pipeline device. */
  private long[] parametersPerDevice(Partition partition, List<Integer> stageToDevice) {
    return parametersPerDevice(partition, stageToDevice, layer -> true, true);
  }

  /**
   * The parameters of the layers {@code counted} accepts on one tensor rank of each pipeline
   * device, with the tied head's copies of the table where {@code withTiedCopies}.
   */
  private long[] parametersPerDevice(
      Partition partition,
      List<Integer> stageToDevice,
      Predicate<LayerSpec> counted,
      boolean withTiedCopies) {
    long[] params = new long[pipelineDevices()];
    int first = 0;
    for (int s = 0; s < partition.stageCount(); s++) {
      int end = first + partition.layerCounts().get(s);
      long sum =
          withTiedCopies
              ? (tied.copyParameters(first, end) + tensorParallel - 1) / tensorParallel
              : 0;
      for (int i = first; i < end; i++) {
        if (counted.test(model.layer(i))) {
          sum += (model.layer(i).parameterCount() + tensorParallel - 1) / tensorParallel;
        }
      }
      params[stageToDevice.get(s)] += sum;
      first = end;
    }
    return params;
  }
}
