package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.ActivationBytes;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.BlockPart;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.roofline.Collectives;
import dev.pipeplan.simulator.cost.roofline.Pass;

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

  private final long[] tensorSharded;
  private final long[] sequenceSharded;
  private final long[] dropoutMasks;
  private final long[] attentionScores;
  private final long[] attentionDropout;
  private final long[] flashStatistics;

  /**
   * The fp32 logits an LM head (or a vocabulary slice of it) keeps for its backward, 4·s·v per
   * sample, part of its tensor-sharded bytes: what a fused cross-entropy keeps in 16 bits instead.
   */
  private final long[] headLogits;

  /** Per layer, what full recomputation keeps: its input, the previous layer's output. */
  private final long[] layerInputs;

  private final double[] attentionCoreFlops;

  /**
   * Per sample, the keys and values of a block's attention over the whole sequence, s·2·g·d·e (g
   * key/value heads): what a context-parallel ring passes round, in chunks of 1/cp.
   */
  private final long[] keyValueBytes;

  private final long[] blocks;
  private final long[] blockOutputBytes;
  private final TiedHead tied;

  LayerSums(ModelSpec model) {
    this.model = model;
    int n = model.layerCount();
    forwardFlops = new double[n + 1];
    backwardInputFlops = new double[n + 1];
    backwardWeightFlops = new double[n + 1];
    parameters = new long[n + 1];
    streamedParameters = new long[n + 1];
    tensorSharded = new long[n + 1];
    sequenceSharded = new long[n + 1];
    dropoutMasks = new long[n + 1];
    attentionScores = new long[n + 1];
    attentionDropout = new long[n + 1];
    flashStatistics = new long[n + 1];
    headLogits = new long[n + 1];
    layerInputs = new long[n + 1];
    attentionCoreFlops = new double[n + 1];
    keyValueBytes = new long[n + 1];
    blocks = new long[n + 1];
    blockOutputBytes = new long[n + 1];
    tied = TiedHead.of(model);
    for (int i = 0; i < n; i++) {
      LayerSpec layer = model.layer(i);
      forwardFlops[i + 1] = forwardFlops[i] + layer.forwardFlops();
      backwardInputFlops[i + 1] = backwardInputFlops[i] + layer.backwardInputFlops();
      backwardWeightFlops[i + 1] = backwardWeightFlops[i] + layer.backwardWeightFlops();
      parameters[i + 1] = parameters[i] + layer.parameterCount();
      streamedParameters[i + 1] =
          streamedParameters[i]
              + (layer.kind() == LayerKind.EMBEDDING ? 0 : layer.parameterCount());
      ActivationBytes a = layer.activations();
      tensorSharded[i + 1] = tensorSharded[i] + a.tensorShardedBytes();
      sequenceSharded[i + 1] = sequenceSharded[i] + a.sequenceShardedBytes();
      dropoutMasks[i + 1] = dropoutMasks[i] + a.dropoutMaskBytes();
      attentionScores[i + 1] = attentionScores[i] + a.attentionScoreBytes();
      attentionDropout[i + 1] = attentionDropout[i] + a.attentionDropoutBytes();
      flashStatistics[i + 1] = flashStatistics[i] + a.flashStatisticsBytes();
      headLogits[i + 1] = headLogits[i] + fp32Logits(layer);
      layerInputs[i + 1] = layerInputs[i] + (i == 0 ? 0 : model.layer(i - 1).outputBytes());
      boolean block = layer.kind() == LayerKind.TRANSFORMER_BLOCK;
      // QKᵀ and softmax·V, 2·s²·a·d each (a·d = h unless the block sets headDim): what selective
      // recomputation runs again.
      double attentionCore = 0;
      if (layer.shape() instanceof LayerShape.TransformerBlock shape
          && shape.blockPart().has(BlockPart.Step.ATTENTION_CORE)
          && shape.seq().isPresent()
          && shape.attentionWidth().isPresent()) {
        long seq = shape.seq().getAsLong();
        attentionCore = 4.0 * seq * seq * shape.attentionWidth().getAsLong();
      }
      attentionCoreFlops[i + 1] = attentionCoreFlops[i] + attentionCore;
      long keyValues = 0;
      if (layer.shape() instanceof LayerShape.TransformerBlock shape
          && shape.blockPart().has(BlockPart.Step.ATTENTION_CORE)
          && shape.seq().isPresent()
          && shape.kvHeads().isPresent()
          && shape.effectiveHeadDim().isPresent()) {
        long d = shape.effectiveHeadDim().getAsLong();
        keyValues =
            shape.seq().getAsLong() * 2 * shape.kvHeads().getAsLong() * d * model.dtype().bytes();
      }
      keyValueBytes[i + 1] = keyValueBytes[i] + keyValues;
      // All-reduces in F (as many in I): two per whole block, a piece's own ones.
      int collectives = block ? Collectives.blockCollectives(layer, Pass.FORWARD) : 0;
      blocks[i + 1] = blocks[i] + collectives;
      long residual = layer.outputBytes();
      if (layer.shape() instanceof LayerShape.TransformerBlock shape
          && shape.seq().isPresent()
          && shape.hidden().isPresent()) {
        // The residual stream, whatever a piece of a block passes on beside it.
        residual = shape.seq().getAsLong() * shape.hidden().getAsLong() * model.dtype().bytes();
      }
      blockOutputBytes[i + 1] = blockOutputBytes[i] + collectives * residual;
    }
  }

  ModelSpec model() {
    return model;
  }

  /**
   * A head's fp32 logits per sample, 4·s·v with v its (slice's) vocabulary, at most its
   * tensor-sharded bytes; 0 for other layers and heads without their dimensions.
   */
  private static long fp32Logits(LayerSpec layer) {
    if (layer.shape() instanceof LayerShape.LmHead head
        && head.vocab().isPresent()
        && head.seq().isPresent()) {
      double logits = 4.0 * head.seq().getAsLong() * head.vocab().getAsLong();
      return (long) Math.min(logits, layer.activations().tensorShardedBytes());
    }
    return 0;
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

  /** The layers' parameters, with a tied head's copy of the embedding table ({@link TiedHead}). */
  long parameters(int first, int end) {
    return parameters[end] - parameters[first] + tied.copyParameters(first, end);
  }

  long streamedParameters(int first, int end) {
    return streamedParameters[end] - streamedParameters[first] + tied.copyParameters(first, end);
  }

  /** The attention core's forward FLOPs per sample (QKᵀ and ·V): selective recomputation's work. */
  double attentionCoreFlops(int first, int end) {
    return attentionCoreFlops[end] - attentionCoreFlops[first];
  }

  /**
   * The extra forward work the input-gradient pass (I) does under the training's recomputation, as
   * a fraction of the stage's forward: all of it for full, the attention core for selective.
   */
  double recomputedForwardFraction(int first, int end, TrainingSpec training) {
    return switch (training.recompute()) {
      case NONE -> 0;
      case FULL -> 1;
      case SELECTIVE -> {
        double forward = forwardFlops(first, end);
        yield forward > 0 ? attentionCoreFlops(first, end) / forward : 0;
      }
    };
  }

  /** The tensor-parallel all-reduces of F over the range: two per block, a piece's own ones. */
  long blockCollectives(int first, int end) {
    return blocks[end] - blocks[first];
  }

  /**
   * Per-sample bytes the range's tensor-parallel all-reduces move in one pass: each collective
   * reduces its block's output.
   */
  long blockOutputBytes(int first, int end) {
    return blockOutputBytes[end] - blockOutputBytes[first];
  }

  /**
   * The memory side of a stage, the same for every cost source ({@code docs/design.md}, "Cost
   * model", has the formulas and their sources).
   *
   * <ul>
   *   <li>static: parameters / t × (dtype bytes + gradient bytes + optimizer state bytes), the
   *       optimizer state divided by dp under ZeRO-1 and ZeRO-2, the gradients under ZeRO-2;
   *   <li>activations per micro-batch of b samples, from each layer's {@link ActivationBytes}: the
   *       tensor-sharded part / t, the sequence-sharded part and the dropout masks / t only with
   *       sequence parallelism, the a·s² score tensors only for eager attention without selective
   *       recomputation (flash keeps its softmax statistics / t instead); a fused cross-entropy
   *       keeps the head's logits in the training dtype instead of fp32;
   *   <li>full recomputation keeps only each layer's input (the previous layer's output; / t with
   *       sequence parallelism), and the backward recomputes one layer at a time into a workspace
   *       of the stage's largest layer, which the simulator reserves once per device;
   *   <li>with ZeRO-3 the weights gathered in full ({@link #gatheredBytes}) are workspace too;
   *   <li>I frees {@link #INPUT_GRAD_FREED_FRACTION} of the activations, W the rest;
   *   <li>output bytes (what one hop carries): b × the last layer's output / t, one tensor rank's
   *       share.
   * </ul>
   *
   * <p>On one rank of a context-parallel group of cp ranks each holds s/cp of every sequence, so
   * its activations, workspace and hand-off are 1/cp of the whole sequence's; the ring's two
   * key/value chunks (the one in use and the one arriving) are workspace; the optimizer shards over
   * the dp·cp ranks that hold the same weights.
   *
   * @return the cost with the given durations and this stage's bytes
   */
  StageCost withMemory(
      int first,
      int end,
      int microBatchSize,
      int tensorParallel,
      int dataParallel,
      int contextParallel,
      TrainingSpec training,
      long forwardNanos,
      long backwardInputNanos,
      long backwardWeightNanos) {
    try {
      return exactMemory(
          first,
          end,
          microBatchSize,
          tensorParallel,
          dataParallel,
          contextParallel,
          training,
          forwardNanos,
          backwardInputNanos,
          backwardWeightNanos);
    } catch (ArithmeticException e) {
      // the bytes are computed exactly: a product past a long (a micro-batch of a million
      // sequences of four million tokens) is bad input, not 'failed: long overflow'
      throw new BadInputException(
          "the memory of layers "
              + first
              + ".."
              + (end - 1)
              + " of model '"
              + model.name()
              + "' at micro-batch size "
              + microBatchSize
              + " and sequence length "
              + training.sequenceLength()
              + " overflows a 64-bit count of bytes: too large to simulate. Maybe use a smaller"
              + " micro-batch size or sequence length");
    }
  }

  private StageCost exactMemory(
      int first,
      int end,
      int microBatchSize,
      int tensorParallel,
      int dataParallel,
      int contextParallel,
      TrainingSpec training,
      long forwardNanos,
      long backwardInputNanos,
      long backwardWeightNanos) {
    long staticBytes =
        staticBytes(
            first,
            end,
            tensorParallel,
            Math.multiplyExact(dataParallel, contextParallel),
            training);
    long activation;
    long workspace = 0;
    if (training.recompute() == Recompute.FULL) {
      long inputs = layerInputs[end] - layerInputs[first];
      activation =
          ceilDiv(
              Math.multiplyExact(inputs, (long) microBatchSize),
              training.sequenceParallel() ? tensorParallel : 1);
      for (int i = first; i < end; i++) {
        workspace =
            Math.max(
                workspace, activationBytes(i, i + 1, microBatchSize, tensorParallel, training));
      }
    } else {
      activation = activationBytes(first, end, microBatchSize, tensorParallel, training);
    }
    int cp = contextParallel;
    activation = ceilDiv(activation, cp);
    workspace = ceilDiv(workspace, cp);
    if (cp > 1) {
      long chunk = 0;
      for (int i = first; i < end; i++) {
        chunk = Math.max(chunk, ceilDiv(keyValueBytes[i + 1] - keyValueBytes[i], tensorParallel));
      }
      workspace =
          Math.addExact(
              workspace, Math.multiplyExact(2 * ceilDiv(chunk, cp), (long) microBatchSize));
    }
    workspace = Math.addExact(workspace, gatheredBytes(first, end, tensorParallel, training));
    long freedByInput = (long) Math.floor(activation * INPUT_GRAD_FREED_FRACTION);
    long output =
        ceilDiv(
            Math.multiplyExact(model.layer(end - 1).outputBytes(), (long) microBatchSize),
            Math.multiplyExact(handOffShares(tensorParallel, training), cp));
    return new StageCost(
        forwardNanos,
        backwardInputNanos,
        backwardWeightNanos,
        output,
        activation,
        freedByInput,
        staticBytes,
        workspace);
  }

  /**
   * Into how many pieces a stage's output is split for its hand-off to the next stage, each tensor
   * rank sending one to its peer over its own link, in parallel: t with sequence parallelism (each
   * rank holds only its share of the sequence) or with the scatter/gather hand-off (Narayanan et
   * al., SC'21, section 4.1: each rank sends 1/t, the receivers all-gather the pieces over the
   * node's link, {@link HandOffGathers#afterStage}); else 1, every rank sending all of it, as
   * Megatron-Core does without sequence parallelism.
   */
  static int handOffShares(int tensorParallel, TrainingSpec training) {
    return training.sequenceParallel() || !training.wholeHandOffs() ? tensorParallel : 1;
  }

  /**
   * Weights, gradients and optimizer state of one tensor rank of one replica; with ZeRO-3 the
   * weights are sharded too (the layers gathered in full are workspace, {@link #gatheredBytes}).
   */
  /**
   * What FSDP (ZeRO-3) gathers at once: a layer's weights in full while it runs, and the next
   * one's, prefetched: two of the stage's largest layers. Workspace, not static memory: a device
   * holds it once, whichever of its stages runs (0 without ZeRO-3).
   */
  long gatheredBytes(int first, int end, int tensorParallel, TrainingSpec training) {
    if (!training.optimizerSharding().shardsParameters()) {
      return 0;
    }
    long largest = 0;
    for (int i = first; i < end; i++) {
      largest = Math.max(largest, ceilDiv(model.layer(i).parameterCount(), tensorParallel));
    }
    return Math.multiplyExact(2 * largest, (long) training.dtype().bytes());
  }

  long staticBytes(
      int first, int end, int tensorParallel, int dataParallel, TrainingSpec training) {
    long params = ceilDiv(parameters(first, end), tensorParallel);
    OptimizerSharding sharding = training.optimizerSharding();
    long weights =
        ceilDiv(
            Math.multiplyExact(params, (long) training.dtype().bytes()),
            sharding.shardsParameters() ? dataParallel : 1);
    long gradients =
        ceilDiv(
            Math.multiplyExact(params, (long) training.gradientBytesPerParameter()),
            sharding.shardsGradients() ? dataParallel : 1);
    long state =
        ceilDiv(
            Math.multiplyExact(params, (long) training.optimizerStateBytesPerParameter()),
            sharding.shardsState() ? dataParallel : 1);
    return Math.addExact(weights, Math.addExact(gradients, state));
  }

  /**
   * The activations layers [first, end) keep for one micro-batch without full recomputation: what F
   * allocates, or, one layer at a time, what full recomputation's workspace holds.
   */
  long activationBytes(
      int first, int end, int microBatchSize, int tensorParallel, TrainingSpec training) {
    long sharded = tensorSharded[end] - tensorSharded[first];
    if (training.crossEntropy() == CrossEntropy.FUSED) {
      long logits = headLogits[end] - headLogits[first];
      long kept = ceilDiv(Math.multiplyExact(logits, (long) training.dtype().bytes()), 4);
      sharded = sharded - logits + kept;
    }
    long scores =
        Math.addExact(
            attentionScores[end] - attentionScores[first],
            attentionDropout[end] - attentionDropout[first]);
    long attention =
        switch (training.attention()) {
          case FLASH, FLASH2 -> flashStatistics[end] - flashStatistics[first];
          case EAGER -> training.recompute() == Recompute.SELECTIVE ? 0 : scores;
        };
    long replicated =
        Math.addExact(
            sequenceSharded[end] - sequenceSharded[first], dropoutMasks[end] - dropoutMasks[first]);
    long b = microBatchSize;
    return Math.addExact(
        ceilDiv(Math.multiplyExact(Math.addExact(sharded, attention), b), tensorParallel),
        ceilDiv(
            Math.multiplyExact(replicated, b), training.sequenceParallel() ? tensorParallel : 1));
  }

  /**
   * Tensor-parallel communication of one pass (F, or I) over a stage: two ring all-reduces of each
   * transformer block's output (Megatron's f/g operators), each 2(t-1)/t · bytes / bandwidth +
   * 2(t-1) · latency. Zero for t = 1 or a stage without blocks.
   */
  double tensorParallelNanos(
      int first, int end, int microBatchSize, int tensorParallel, LinkSpec link) {
    long collectives = blockCollectives(first, end);
    if (tensorParallel <= 1 || collectives == 0) {
      return 0;
    }
    int t = tensorParallel;
    double bytes = (double) blockOutputBytes(first, end) * microBatchSize;
    return 2.0 * (t - 1) / t * bytes / link.bandwidthBytesPerSecond() * 1e9
        + collectives * 2.0 * (t - 1) * link.latencyNanos();
  }

  static long ceilDiv(long value, long divisor) {
    return (value + divisor - 1) / divisor;
  }
}
