package dev.pipeplan.simulator.cost.roofline;

import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import java.util.List;
import java.util.Objects;

/**
 * A model's layers priced op by op on one device: each pass of a layer is the sum of its ops' times
 * ({@link LayerOps}, {@link DeviceRoofline}) plus its tensor-parallel collectives ({@link
 * Collectives}). Stateless apart from its inputs; {@link #prefixNanos} gives every stage in O(1).
 */
public final class LayerRoofline {
  private final ModelSpec model;
  private final DType dtype;
  private final ModelFeatures features;
  private final RooflineOptions options;
  private final LinkSpec tensorParallelLink;

  /**
   * @param tensorParallelLink the link tensor-parallel ranks share (the intra-node link)
   */
  public LayerRoofline(
      ModelSpec model, DType dtype, RooflineOptions options, LinkSpec tensorParallelLink) {
    this.model = Objects.requireNonNull(model, "model");
    this.dtype = Objects.requireNonNull(dtype, "dtype");
    this.options = Objects.requireNonNull(options, "options");
    this.tensorParallelLink = Objects.requireNonNull(tensorParallelLink, "tensorParallelLink");
    this.features = ModelFeatures.of(model);
  }

  public ModelFeatures features() {
    return features;
  }

  /** The ops of one layer's pass. */
  public List<Op> ops(int layer, Pass pass, int microBatchSize, int tensorParallel) {
    return ops(layer, pass, microBatchSize, tensorParallel, 1);
  }

  /** The ops of one layer's pass on one rank of a context-parallel group of cp ranks. */
  public List<Op> ops(
      int layer, Pass pass, int microBatchSize, int tensorParallel, int contextParallel) {
    return LayerOps.of(
        model.layer(layer),
        pass,
        microBatchSize,
        tensorParallel,
        contextParallel,
        dtype.bytes(),
        features,
        options);
  }

  /** One layer's pass over a micro-batch on a device, collectives included. */
  public double nanos(
      DeviceRoofline device, int layer, Pass pass, int microBatchSize, int tensorParallel) {
    return nanos(device, layer, pass, microBatchSize, tensorParallel, 1, tensorParallelLink);
  }

  /**
   * One layer's pass over a micro-batch on one rank of a tensor- and context-parallel group,
   * collectives included: the context-parallel exchange of keys and values runs on {@code
   * contextParallelLink}, under the attention core ({@link Collectives#contextParallelNanos}).
   */
  public double nanos(
      DeviceRoofline device,
      int layer,
      Pass pass,
      int microBatchSize,
      int tensorParallel,
      int contextParallel,
      LinkSpec contextParallelLink) {
    double total = 0;
    double gemms = 0;
    double attention = 0;
    for (Op op : ops(layer, pass, microBatchSize, tensorParallel, contextParallel)) {
      double nanos = op.nanos(device);
      total += nanos;
      if (op instanceof Op.Gemm) {
        gemms += nanos;
      }
      if (op instanceof Op.FusedAttention) {
        attention += nanos;
      }
    }
    LayerSpec spec = model.layer(layer);
    double collectives =
        Collectives.tensorParallelNanos(
            spec,
            pass,
            microBatchSize,
            tensorParallel,
            contextParallel,
            dtype.bytes(),
            options.sequenceParallel(),
            tensorParallelLink);
    double exchange =
        Collectives.contextParallelNanos(
            spec,
            pass,
            microBatchSize,
            tensorParallel,
            contextParallel,
            dtype.bytes(),
            contextParallelLink);
    return total
        + (options.tensorParallelOverlap()
            ? Collectives.overlappedNanos(collectives, gemms, tensorParallel)
            : collectives)
        + Collectives.contextParallelExposedNanos(exchange, attention, contextParallel);
  }

  /** Kernels of one layer's pass (the collectives not counted). */
  public int kernels(int layer, Pass pass, int microBatchSize, int tensorParallel) {
    int kernels = 0;
    for (Op op : ops(layer, pass, microBatchSize, tensorParallel)) {
      kernels += op.kernels();
    }
    return kernels;
  }

  /**
   * Prefix sums of a pass's time over the layers: element i is the time of layers 0..i-1, so a
   * stage [first, end) takes {@code p[end] - p[first]}.
   */
  public double[] prefixNanos(
      DeviceSpec device, Pass pass, int microBatchSize, int tensorParallel) {
    return prefixNanos(device, pass, microBatchSize, tensorParallel, 1, tensorParallelLink);
  }

  /** {@link #prefixNanos(DeviceSpec, Pass, int, int)} on one rank of a context-parallel group. */
  public double[] prefixNanos(
      DeviceSpec device,
      Pass pass,
      int microBatchSize,
      int tensorParallel,
      int contextParallel,
      LinkSpec contextParallelLink) {
    DeviceRoofline roofline = DeviceRoofline.of(device, dtype);
    double[] prefix = new double[model.layerCount() + 1];
    for (int i = 0; i < model.layerCount(); i++) {
      prefix[i + 1] =
          prefix[i]
              + nanos(
                  roofline,
                  i,
                  pass,
                  microBatchSize,
                  tensorParallel,
                  contextParallel,
                  contextParallelLink);
    }
    return prefix;
  }
}
