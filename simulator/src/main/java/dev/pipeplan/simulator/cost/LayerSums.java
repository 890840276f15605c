package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;

/**
 * Prefix sums over a model's per-sample layer numbers, so that any contiguous stage is priced in
 * O(1), plus the memory rules both cost models share. Built once per cost model.
 */
final class LayerSums {
  /**
   * The part of a micro-batch's saved activations that the input-gradient pass (I) frees; W keeps
   * the rest until it has run. W needs each linear layer's input (dW = x^T dY). Of a transformer
   * block's 34·s·b·h saved bytes (Korthikanti et al., "Reducing Activation Recomputation in Large
   * Transformer Models", 2022, without the attention-score term), the inputs of the QKV,
   * attention-output, MLP-up and MLP-down GEMMs take 2+2+2+8 = 14, so I frees the other 20/34 and W
   * the last 14/34.
   */
  static final double INPUT_GRAD_FREED_FRACTION = 20.0 / 34.0;

  private final ModelSpec model;
  private final double[] forwardFlops;
  private final double[] backwardInputFlops;
  private final double[] backwardWeightFlops;
  private final long[] parameters;

  /**
   * Parameters of layers that stream their weights every pass (all but embeddings, which gather
   * rows).
   */
  private final long[] streamedParameters;

  private final long[] savedActivationBytes;
  private final long[] blocks;
  private final long[] blockOutputBytes;

  LayerSums(ModelSpec model) {
    this.model = model;
    int n = model.layerCount();
    forwardFlops = new double[n + 1];
    backwardInputFlops = new double[n + 1];
    backwardWeightFlops = new double[n + 1];
    parameters = new long[n + 1];
    streamedParameters = new long[n + 1];
    savedActivationBytes = new long[n + 1];
    blocks = new long[n + 1];
    blockOutputBytes = new long[n + 1];
    for (int i = 0; i < n; i++) {
      LayerSpec layer = model.layer(i);
      forwardFlops[i + 1] = forwardFlops[i] + layer.forwardFlops();
      backwardInputFlops[i + 1] = backwardInputFlops[i] + layer.backwardInputFlops();
      backwardWeightFlops[i + 1] = backwardWeightFlops[i] + layer.backwardWeightFlops();
      parameters[i + 1] = parameters[i] + layer.parameterCount();
      streamedParameters[i + 1] =
          streamedParameters[i]
              + (layer.kind() == LayerKind.EMBEDDING ? 0 : layer.parameterCount());
      savedActivationBytes[i + 1] = savedActivationBytes[i] + layer.savedActivationBytes();
      boolean block = layer.kind() == LayerKind.TRANSFORMER_BLOCK;
      blocks[i + 1] = blocks[i] + (block ? 1 : 0);
      blockOutputBytes[i + 1] = blockOutputBytes[i] + (block ? layer.outputBytes() : 0);
    }
  }

  ModelSpec model() {
    return model;
  }

  double forwardFlops(int first, int end) {
    return forwardFlops[end] - forwardFlops[first];
  }

  double backwardInputFlops(int first, int end) {
    return backwardInputFlops[end] - backwardInputFlops[first];
  }

  double backwardWeightFlops(int first, int end) {
    return backwardWeightFlops[end] - backwardWeightFlops[first];
  }

  long parameters(int first, int end) {
    return parameters[end] - parameters[first];
  }

  long streamedParameters(int first, int end) {
    return streamedParameters[end] - streamedParameters[first];
  }

  long transformerBlocks(int first, int end) {
    return blocks[end] - blocks[first];
  }

  /**
   * Per-sample output bytes of the transformer blocks in the range: what each tensor-parallel
   * all-reduce moves.
   */
  long blockOutputBytes(int first, int end) {
    return blockOutputBytes[end] - blockOutputBytes[first];
  }

  /**
   * The memory side of a stage, the same for every cost source.
   *
   * <ul>
   *   <li>static: parameters / t × (dtype bytes + optimizer gradient bytes + optimizer state
   *       bytes);
   *   <li>activations: saved bytes × b / t; with recompute only the stage input (b × the previous
   *       layer's output; nothing for stage 0, whose input is token ids) is kept per micro-batch,
   *       and one micro-batch's full activations join the static bytes as the workspace the
   *       recomputation fills during a backward;
   *   <li>I frees {@link #INPUT_GRAD_FREED_FRACTION} of the activations, W the rest;
   *   <li>output bytes (what one hop carries): b × the last layer's output / t, one tensor rank's
   *       share.
   * </ul>
   *
   * @return the cost with the given durations and this stage's bytes
   */
  StageCost withMemory(
      int first,
      int end,
      int microBatchSize,
      int tensorParallel,
      TrainingSpec training,
      long forwardNanos,
      long backwardInputNanos,
      long backwardWeightNanos) {
    long bytesPerParameter =
        (long) training.dtype().bytes()
            + training.optimizer().gradientBytesPerParameter()
            + training.optimizer().stateBytesPerParameter();
    long params = ceilDiv(parameters(first, end), tensorParallel);
    long staticBytes = Math.multiplyExact(params, bytesPerParameter);
    long saved =
        ceilDiv(
            Math.multiplyExact(
                savedActivationBytes[end] - savedActivationBytes[first], (long) microBatchSize),
            tensorParallel);
    long activation = saved;
    if (training.recompute()) {
      activation =
          first == 0
              ? 0
              : Math.multiplyExact(model.layer(first - 1).outputBytes(), (long) microBatchSize);
      staticBytes = Math.addExact(staticBytes, saved);
    }
    long freedByInput = (long) Math.floor(activation * INPUT_GRAD_FREED_FRACTION);
    // Megatron's scatter/gather hand-off: each of the t tensor ranks sends 1/t of the output to its
    // peer in the next
    // stage, over its own link, in parallel (Narayanan et al., SC'21, section 4.1).
    long output =
        ceilDiv(
            Math.multiplyExact(model.layer(end - 1).outputBytes(), (long) microBatchSize),
            tensorParallel);
    return new StageCost(
        forwardNanos,
        backwardInputNanos,
        backwardWeightNanos,
        output,
        activation,
        freedByInput,
        staticBytes);
  }

  /**
   * Tensor-parallel communication of one pass (F, or I) over a stage: two ring all-reduces of each
   * transformer block's output (Megatron's f/g operators), each 2(t-1)/t · bytes / bandwidth +
   * 2(t-1) · latency. Zero for t = 1 or a stage without blocks.
   */
  double tensorParallelNanos(
      int first, int end, int microBatchSize, int tensorParallel, LinkSpec link) {
    long blockCount = transformerBlocks(first, end);
    if (tensorParallel <= 1 || blockCount == 0) {
      return 0;
    }
    int t = tensorParallel;
    double bytes = 2.0 * blockOutputBytes(first, end) * microBatchSize;
    return 2.0 * (t - 1) / t * bytes / link.bandwidthBytesPerSecond() * 1e9
        + 2.0 * blockCount * 2.0 * (t - 1) * link.latencyNanos();
  }

  static long ceilDiv(long value, long divisor) {
    return (value + divisor - 1) / divisor;
  }
}
