package dev.pipeplan.models;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import java.util.Objects;

/**
 * How the model is trained, including the choices that decide its memory (see {@code
 * docs/design.md}, "Cost model").
 *
 * <p>A plan file written before the memory modes existed has only {@code recompute} (a boolean);
 * reading it gives null for the others, which stand for what pipeplan assumed then: eager
 * attention, no optimizer sharding, no sequence parallelism.
 *
 * @param globalBatch samples per optimizer step, over all data-parallel replicas
 * @param sequenceLength tokens per sample (0 where it does not apply)
 * @param dtype the training format of weights and activations
 * @param optimizer what the optimizer keeps per parameter
 * @param recompute which activations the backward recomputes
 * @param attention fused (flash) or eager attention; null means eager
 * @param optimizerSharding how gradients and optimizer state are split over data parallelism; null
 *     means none
 * @param sequenceParallel whether tensor-parallel ranks also split the norm and dropout activations
 *     along the sequence (Korthikanti et al.); only matters with tp > 1
 * @param tensorParallelOverlap whether the tensor-parallel collectives run under the GEMMs beside
 *     them (Megatron's {@code --tp-comm-overlap}); only matters with tp > 1; false in files written
 *     before it existed
 * @param blockingSends whether a pipeline send holds its device until the transfer ends (Megatron's
 *     1F1B, its interleaved schedule without {@code --overlap-p2p-communication}, DeepSpeed's
 *     pipeline engine) rather than running beside the next action (Megatron-Core's interleaved
 *     default, PyTorch's pipelining); false, and left out, in files written before it existed
 * @param gradientSyncAfterBackward whether the data-parallel gradient reduction (and a sharded
 *     optimizer's weight gather) runs after the backward and the step instead of under them
 *     (DeepSpeed's pipeline engine, Megatron-LM without {@code --overlap-grad-reduce}, as all of it
 *     before 2023); false, and left out, in files written before it existed
 * @param gradientAllReduce whether the gradients are all-reduced even when the optimizer state is
 *     sharded, each replica then stepping its share and all-gathering the weights (DeepSpeed's bf16
 *     optimizer), rather than reduce-scattered (Megatron's distributed optimizer, ZeRO-2); only
 *     matters with ZeRO-1 or 2; false, and left out, in files written before it existed
 * @param gradientAccumulation how each micro-batch's weight gradients are accumulated and in which
 *     dtype they are reduced; null means {@link GradientAccumulation#FUSED}, which is left out of
 *     files (as in files written before it existed)
 * @param crossEntropy how the loss over the vocabulary runs; null means {@link
 *     CrossEntropy#UNFUSED}, which is left out of files (as in files written before it existed)
 * @param fp8Linears whether the transformer blocks' linear layers run their GEMMs in FP8 with
 *     per-tensor dynamic scaling (Transformer Engine's current scaling, torchao's Float8 tensorwise
 *     recipe), weights, activations and everything else staying in the training dtype; false, and
 *     left out, in files written before it existed
 * @param wholeHandOffs whether, with tp > 1 and no sequence parallelism, every tensor rank sends a
 *     stage's whole output to its peer in the next stage (Megatron-Core, torchtitan, Megatron-LM
 *     before 2021-02; the command line's default) rather than its 1/t share, the receivers
 *     all-gathering the pieces over the node's link (Megatron-LM's scatter/gather hand-off, on by
 *     default from 2021-02-16 until Megatron-Core dropped it in 2023-01; DeepSpeed's partitioned
 *     pipeline sends); with sequence parallelism each rank holds only its share anyway; false, and
 *     left out, in files written before it existed, which priced the shares
 * @param fp8WeightCastsPerIteration whether, with FP8 linears, each weight and its transposed FP8
 *     copy are cast once an iteration and reused by every micro-batch (Transformer Engine's {@code
 *     is_first_microbatch} cache, Megatron-Core's FP8 parameter gather; the command line's default)
 *     rather than on every micro-batch's forward and backward (torchao's Float8 linears, as
 *     torchtitan runs them); without effect under ZeRO-3, which gathers the weights again for every
 *     micro-batch ({@link #castsFp8WeightsOncePerIteration}); false, and left out, in files written
 *     before it existed, which priced the casts on every micro-batch
 */
public record TrainingSpec(
    int globalBatch,
    int sequenceLength,
    DType dtype,
    Optimizer optimizer,
    Recompute recompute,
    Attention attention,
    OptimizerSharding optimizerSharding,
    @JsonSetter(nulls = Nulls.AS_EMPTY) boolean sequenceParallel,
    @JsonSetter(nulls = Nulls.AS_EMPTY) boolean tensorParallelOverlap,
    @JsonSetter(nulls = Nulls.AS_EMPTY) @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        boolean blockingSends,
    @JsonSetter(nulls = Nulls.AS_EMPTY) @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        boolean gradientSyncAfterBackward,
    @JsonSetter(nulls = Nulls.AS_EMPTY) @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        boolean gradientAllReduce,
    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = FusedFilter.class)
        GradientAccumulation gradientAccumulation,
    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = UnfusedFilter.class)
        CrossEntropy crossEntropy,
    @JsonSetter(nulls = Nulls.AS_EMPTY) @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        boolean fp8Linears,
    @JsonSetter(nulls = Nulls.AS_EMPTY) @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        boolean wholeHandOffs,
    @JsonSetter(nulls = Nulls.AS_EMPTY) @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        boolean fp8WeightCastsPerIteration) {
  public TrainingSpec {
    Checks.positive("globalBatch", globalBatch);
    Checks.nonNegative("sequenceLength", sequenceLength);
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(optimizer, "optimizer");
    recompute = recompute == null ? Recompute.NONE : recompute;
    attention = attention == null ? Attention.EAGER : attention;
    optimizerSharding = optimizerSharding == null ? OptimizerSharding.NONE : optimizerSharding;
    gradientAccumulation =
        gradientAccumulation == null ? GradientAccumulation.FUSED : gradientAccumulation;
    crossEntropy = crossEntropy == null ? CrossEntropy.UNFUSED : crossEntropy;
  }

  /**
   * Leaves the default accumulation out of a written file, so that older files stay as they were.
   */
  static final class FusedFilter {
    @Override
    public boolean equals(Object value) {
      return value == null || value == GradientAccumulation.FUSED;
    }

    @Override
    public int hashCode() {
      return 0;
    }
  }

  /** Leaves the default cross-entropy out of a written file, as {@link FusedFilter} does. */
  static final class UnfusedFilter {
    @Override
    public boolean equals(Object value) {
      return value == null || value == CrossEntropy.UNFUSED;
    }

    @Override
    public int hashCode() {
      return 0;
    }
  }

  /** The modes of a spec whose tensor ranks each send their share of a stage's output. */
  public TrainingSpec(
      int globalBatch,
      int sequenceLength,
      DType dtype,
      Optimizer optimizer,
      Recompute recompute,
      Attention attention,
      OptimizerSharding optimizerSharding,
      boolean sequenceParallel,
      boolean tensorParallelOverlap,
      boolean blockingSends,
      boolean gradientSyncAfterBackward,
      boolean gradientAllReduce,
      GradientAccumulation gradientAccumulation,
      CrossEntropy crossEntropy,
      boolean fp8Linears) {
    this(
        globalBatch,
        sequenceLength,
        dtype,
        optimizer,
        recompute,
        attention,
        optimizerSharding,
        sequenceParallel,
        tensorParallelOverlap,
        blockingSends,
        gradientSyncAfterBackward,
        gradientAllReduce,
        gradientAccumulation,
        crossEntropy,
        fp8Linears,
        false,
        false);
  }

  /** The modes of a spec without FP8 linears. */
  public TrainingSpec(
      int globalBatch,
      int sequenceLength,
      DType dtype,
      Optimizer optimizer,
      Recompute recompute,
      Attention attention,
      OptimizerSharding optimizerSharding,
      boolean sequenceParallel,
      boolean tensorParallelOverlap,
      boolean blockingSends,
      boolean gradientSyncAfterBackward,
      boolean gradientAllReduce,
      GradientAccumulation gradientAccumulation,
      CrossEntropy crossEntropy) {
    this(
        globalBatch,
        sequenceLength,
        dtype,
        optimizer,
        recompute,
        attention,
        optimizerSharding,
        sequenceParallel,
        tensorParallelOverlap,
        blockingSends,
        gradientSyncAfterBackward,
        gradientAllReduce,
        gradientAccumulation,
        crossEntropy,
        false);
  }

  /**
   * The default memory modes (flash attention, no optimizer sharding, no sequence parallelism) with
   * full recomputation or none.
   */
  public TrainingSpec(
      int globalBatch, int sequenceLength, DType dtype, Optimizer optimizer, boolean recompute) {
    this(
        globalBatch,
        sequenceLength,
        dtype,
        optimizer,
        recompute ? Recompute.FULL : Recompute.NONE,
        Attention.FLASH,
        OptimizerSharding.NONE,
        false,
        false,
        false,
        false,
        false,
        GradientAccumulation.FUSED,
        CrossEntropy.UNFUSED);
  }

  /**
   * The dtype's default optimizer ({@link Optimizer#defaultFor}) and the default memory modes
   * without recomputation.
   */
  public static TrainingSpec of(int globalBatch, int sequenceLength, DType dtype) {
    return new TrainingSpec(globalBatch, sequenceLength, dtype, Optimizer.defaultFor(dtype), false);
  }

  /** A copy with other memory modes. */
  public TrainingSpec withMemoryModes(
      Recompute newRecompute,
      Attention newAttention,
      OptimizerSharding newSharding,
      boolean newSequenceParallel) {
    Objects.requireNonNull(newRecompute, "recompute");
    Objects.requireNonNull(newAttention, "attention");
    Objects.requireNonNull(newSharding, "optimizerSharding");
    return with(
        c -> {
          c.recompute = newRecompute;
          c.attention = newAttention;
          c.optimizerSharding = newSharding;
          c.sequenceParallel = newSequenceParallel;
        });
  }

  /** A copy whose tensor-parallel collectives are, or are not, overlapped with the GEMMs. */
  public TrainingSpec withTensorParallelOverlap(boolean overlap) {
    return with(c -> c.tensorParallelOverlap = overlap);
  }

  /** A copy whose pipeline sends do, or do not, hold their device until the transfer ends. */
  public TrainingSpec withBlockingSends(boolean blocking) {
    return with(c -> c.blockingSends = blocking);
  }

  /**
   * A copy whose data-parallel gradient sync does, or does not, wait until the backward is over.
   */
  public TrainingSpec withGradientSyncAfterBackward(boolean after) {
    return with(c -> c.gradientSyncAfterBackward = after);
  }

  /**
   * A copy whose gradients are, or are not, all-reduced when the optimizer state is sharded (see
   * {@link #gradientAllReduce}).
   */
  public TrainingSpec withGradientAllReduce(boolean allReduce) {
    return with(c -> c.gradientAllReduce = allReduce);
  }

  /** A copy whose micro-batches' gradients are accumulated this way. */
  public TrainingSpec withGradientAccumulation(GradientAccumulation accumulation) {
    Objects.requireNonNull(accumulation, "gradientAccumulation");
    return with(c -> c.gradientAccumulation = accumulation);
  }

  /** A copy whose loss over the vocabulary runs this way. */
  public TrainingSpec withCrossEntropy(CrossEntropy implementation) {
    Objects.requireNonNull(implementation, "crossEntropy");
    return with(c -> c.crossEntropy = implementation);
  }

  /** A copy whose blocks' linear layers run their GEMMs in FP8, or not ({@link #fp8Linears}). */
  public TrainingSpec withFp8Linears(boolean fp8) {
    return with(c -> c.fp8Linears = fp8);
  }

  /**
   * A copy whose tensor ranks each send all of a stage's output, or only their share ({@link
   * #wholeHandOffs}).
   */
  public TrainingSpec withWholeHandOffs(boolean whole) {
    return with(c -> c.wholeHandOffs = whole);
  }

  /**
   * A copy whose FP8 weights are cast once an iteration, or on every micro-batch ({@link
   * #fp8WeightCastsPerIteration}).
   */
  public TrainingSpec withFp8WeightCastsPerIteration(boolean perIteration) {
    return with(c -> c.fp8WeightCastsPerIteration = perIteration);
  }

  /**
   * How often FP8 weights are cast, as written on a command line or in a runs file: "iteration"
   * (true: once, {@link #fp8WeightCastsPerIteration}) or "micro-batch" (false).
   *
   * @param field the option or field, for the message
   */
  public static boolean parseFp8WeightCasts(String field, String text) {
    String t = text == null ? "" : text.trim();
    return switch (t) {
      case "iteration" -> true;
      case "micro-batch" -> false;
      default ->
          throw new BadInputException(
              field + " must be iteration or micro-batch, got '" + text + "'");
    };
  }

  /**
   * Whether the FP8 weight casts are priced once an iteration: FP8 linears cast so ({@link
   * #fp8WeightCastsPerIteration}), and the weights not regathered for every micro-batch (no
   * ZeRO-3).
   */
  public boolean castsFp8WeightsOncePerIteration() {
    return fp8Linears && fp8WeightCastsPerIteration && !optimizerSharding.shardsParameters();
  }

  /** A copy with the modes {@code change} sets; the batch, sequence, dtype and optimizer stay. */
  private TrainingSpec with(java.util.function.Consumer<Modes> change) {
    Modes m = new Modes(this);
    change.accept(m);
    return new TrainingSpec(
        globalBatch,
        sequenceLength,
        dtype,
        optimizer,
        m.recompute,
        m.attention,
        m.optimizerSharding,
        m.sequenceParallel,
        m.tensorParallelOverlap,
        m.blockingSends,
        m.gradientSyncAfterBackward,
        m.gradientAllReduce,
        m.gradientAccumulation,
        m.crossEntropy,
        m.fp8Linears,
        m.wholeHandOffs,
        m.fp8WeightCastsPerIteration);
  }

  /** The memory and communication modes of a spec, to change some of them in a copy. */
  private static final class Modes {
    Recompute recompute;
    Attention attention;
    OptimizerSharding optimizerSharding;
    boolean sequenceParallel;
    boolean tensorParallelOverlap;
    boolean blockingSends;
    boolean gradientSyncAfterBackward;
    boolean gradientAllReduce;
    GradientAccumulation gradientAccumulation;
    CrossEntropy crossEntropy;
    boolean fp8Linears;
    boolean wholeHandOffs;
    boolean fp8WeightCastsPerIteration;

    Modes(TrainingSpec spec) {
      recompute = spec.recompute;
      attention = spec.attention;
      optimizerSharding = spec.optimizerSharding;
      sequenceParallel = spec.sequenceParallel;
      tensorParallelOverlap = spec.tensorParallelOverlap;
      blockingSends = spec.blockingSends;
      gradientSyncAfterBackward = spec.gradientSyncAfterBackward;
      gradientAllReduce = spec.gradientAllReduce;
      gradientAccumulation = spec.gradientAccumulation;
      crossEntropy = spec.crossEntropy;
      fp8Linears = spec.fp8Linears;
      wholeHandOffs = spec.wholeHandOffs;
      fp8WeightCastsPerIteration = spec.fp8WeightCastsPerIteration;
    }
  }

  /**
   * Bytes per parameter of the gradient buffer the iteration accumulates into: the dtype the
   * gradients are accumulated and reduced in ({@link GradientAccumulation}: fp32 main gradients for
   * the fused and fp32 modes, as Megatron-LM keeps them for bf16; the training dtype when they are
   * added in place), at least the optimizer's own.
   */
  public int gradientBytesPerParameter() {
    return Math.max(
        optimizer.gradientBytesPerParameter(),
        gradientAccumulation.reduceBytesPerParameter(dtype.bytes()));
  }

  /**
   * Bytes per parameter of the optimizer's state: the optimizer's own, and, for 16-bit gradients
   * added in place with an fp32 master copy, the fp32 main gradients the step casts them into
   * (Megatron-LM's fp16 optimizer). So mixed-precision Adam holds 18 bytes per parameter with bf16
   * weights and fp32 gradients, 20 with fp16 weights and gradients, as Megatron-LM's {@code
   * docs/user-guide/features/dist_optimizer.md} and {@code theoretical_memory_usage.py} count them.
   */
  public int optimizerStateBytesPerParameter() {
    int state = optimizer.stateBytesPerParameter();
    boolean masterCopy = dtype.bytes() < 4 && state >= 4;
    return gradientAccumulation == GradientAccumulation.IN_PLACE && masterCopy ? state + 4 : state;
  }

  /** True for any recomputation: the backward's input-gradient pass runs (part of) F again. */
  public boolean recomputes() {
    return recompute != Recompute.NONE;
  }

  /**
   * The memory modes as one line for output and reports: "attention flash, recompute selective,
   * optimizer sharded over dp=8, sequence parallel".
   *
   * @param dataParallel the plan's data-parallel degree (the divisor of a sharded optimizer)
   * @param tensorParallel the plan's tensor-parallel degree (sequence parallelism needs t > 1)
   */
  public String describeMemoryModes(int dataParallel, int tensorParallel) {
    return describeMemoryModes(dataParallel, tensorParallel, 1);
  }

  /**
   * The memory modes of a plan with context parallelism: a sharded optimizer shards over the dp·cp
   * ranks that hold the same weights ("optimizer sharded over dp x cp=64"), and the line ends with
   * ", context parallel cp=8".
   */
  public String describeMemoryModes(int dataParallel, int tensorParallel, int contextParallel) {
    long ranks = (long) dataParallel * contextParallel;
    String group = (contextParallel > 1 ? "dp x cp=" : "dp=") + ranks;
    StringBuilder sb =
        new StringBuilder("attention ")
            .append(attention.id())
            .append(", recompute ")
            .append(recompute.id());
    sb.append(
        ranks == 1 && optimizerSharding != OptimizerSharding.NONE
            ? ", optimizer not sharded (dp=1)"
            : switch (optimizerSharding) {
              case NONE -> ", optimizer not sharded";
              case ZERO1 -> ", optimizer sharded over " + group;
              case ZERO2 -> ", optimizer and gradients sharded over " + group;
              case ZERO3 -> ", weights, gradients and optimizer sharded over " + group;
            });
    if (sequenceParallel && tensorParallel > 1) {
      sb.append(", sequence parallel");
    }
    if (tensorParallelOverlap && tensorParallel > 1) {
      sb.append(", tp communication overlapped");
    }
    if (blockingSends) {
      sb.append(", pipeline sends blocking");
    }
    if (!wholeHandOffs && !sequenceParallel && tensorParallel > 1) {
      sb.append(", pipeline sends scattered over tp");
    }
    if (gradientSyncAfterBackward && ranks > 1) {
      sb.append(", gradient sync after the backward");
    }
    if (gradientAllReduce
        && ranks > 1
        && optimizerSharding.shardsState()
        && !optimizerSharding.shardsParameters()) {
      sb.append(", gradients all-reduced");
    }
    if (gradientAccumulation != GradientAccumulation.FUSED) {
      sb.append(", gradient accumulation ").append(gradientAccumulation.id());
    }
    if (crossEntropy != CrossEntropy.UNFUSED) {
      sb.append(", cross-entropy ").append(crossEntropy.id());
    }
    if (fp8Linears) {
      sb.append(", fp8 linears");
      if (castsFp8WeightsOncePerIteration()) {
        sb.append(" (weights cast once an iteration, with the optimizer step)");
      }
    }
    if (contextParallel > 1) {
      sb.append(", context parallel cp=").append(contextParallel);
    }
    return sb.toString();
  }
}
