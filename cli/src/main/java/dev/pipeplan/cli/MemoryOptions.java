package dev.pipeplan.cli;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.roofline.LayerOps;
import picocli.CommandLine.Option;

/**
 * The memory modes, shared by {@code plan} and {@code simulate}: attention, recomputation,
 * optimizer sharding and sequence parallelism (see {@code docs/design.md}, "Cost model").
 */
final class MemoryOptions {
  @Option(
      names = "--attention",
      paramLabel = "KIND",
      defaultValue = "flash",
      description =
          "flash (fused: no s² scores kept; default; on Hopper and later GPUs priced as"
              + " FlashAttention-3 and cuDNN run it), flash2 (the same in FlashAttention-2's"
              + " kernels, e.g. PyTorch SDPA's flash backend: 0.62 of flash's speed on Hopper and"
              + " later, the same before) or eager.")
  String attention;

  @Option(
      names = "--recompute",
      paramLabel = "MODE",
      arity = "0..1",
      fallbackValue = "full",
      defaultValue = "none",
      description =
          "none (default), selective (the attention core) or full (each layer's input only); a bare"
              + " --recompute means full.")
  String recompute;

  @Option(
      names = {"--zero", "--optimizer-sharding"},
      paramLabel = "STAGE",
      defaultValue = "1",
      description =
          "Shard over data parallelism: 0/none, 1/zero1 the optimizer state (Megatron's distributed"
              + " optimizer, DeepSpeed ZeRO-1; the default, as in Megatron's and NeMo's large-model"
              + " recipes), 2/zero2 also the gradients, 3/zero3/fsdp also the weights (PyTorch"
              + " FSDP: each layer's weights all-gathered for its forward and backward).")
  String zero;

  @Option(
      names = "--sequence-parallel",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "With tp > 1, split the norm and dropout activations (and their work) over the tensor-parallel"
              + " ranks too, as Megatron's and NeMo's recipes do (the default; --no-sequence-parallel turns"
              + " it off).")
  boolean sequenceParallel;

  @Option(
      names = "--tp-comm-overlap",
      negatable = true,
      defaultValue = "false",
      fallbackValue = "true",
      description =
          "With tp > 1, run the tensor-parallel collectives under the GEMMs beside them, as"
              + " Megatron-LM's --tp-comm-overlap does (off by default; it overlaps sequence"
              + " parallelism's collectives, so it is refused with --no-sequence-parallel unless"
              + " --tp 1).")
  boolean tensorParallelOverlap;

  @Option(
      names = "--pp-comm-overlap",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Pipeline sends run beside the next action (the default, as Megatron-Core's interleaved"
              + " schedule with --overlap-p2p-communication and PyTorch's pipelining do);"
              + " --no-pp-comm-overlap: each send holds its device until the transfer ends, as"
              + " Megatron's 1F1B, its interleaved schedule before the overlap and DeepSpeed's"
              + " pipeline engine do.")
  boolean pipelineOverlap;

  @Option(
      names = "--pp-scatter-gather",
      negatable = true,
      defaultValue = "false",
      fallbackValue = "true",
      description =
          "With tp > 1 and --no-sequence-parallel: each tensor rank sends only its 1/t share of a"
              + " stage's output to the next stage, the receivers gathering the pieces, as"
              + " Megatron-LM's scatter/gather did (2021-02 to 2023-01) and DeepSpeed's pipeline"
              + " engine does; by default every rank sends all of it, as Megatron-Core does. With"
              + " sequence parallelism each rank holds only its share anyway.")
  boolean pipelineScatterGather;

  @Option(
      names = "--dp-comm-overlap",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "The data-parallel gradient reduction runs under the backward, bucket by bucket (the"
              + " default, as Megatron's --overlap-grad-reduce and PyTorch DDP/FSDP do);"
              + " --no-dp-comm-overlap: it runs after the backward, as DeepSpeed's pipeline engine"
              + " and Megatron-LM without --overlap-grad-reduce do.")
  boolean dataParallelOverlap;

  @Option(
      names = "--dp-all-reduce",
      description =
          "With the optimizer state sharded (--zero 1 or 2): all-reduce the gradients, each replica then"
              + " stepping its share, as DeepSpeed's bf16 optimizer does (default: reduce-scatter them,"
              + " as Megatron's distributed optimizer does).")
  boolean dataParallelAllReduce;

  @Option(
      names = "--grad-accumulation",
      paramLabel = "MODE",
      description =
          "How each micro-batch's weight gradients are accumulated: fused (default: the weight-gradient"
              + " GEMM adds into fp32, Megatron's --gradient-accumulation-fusion), fp32-add (a hook adds"
              + " them into an fp32 buffer), fp32-cast-add (cast to fp32, then added: DeepSpeed's bf16"
              + " optimizer) or in-place (kept and reduced in the training dtype: autograd's"
              + " param.grad, fp16 Megatron before 2022-09).")
  String gradientAccumulation = "fused";

  @Option(
      names = "--cross-entropy",
      paramLabel = "IMPL",
      description =
          "How the loss over the vocabulary runs: unfused (default: one fp32 kernel per step, the"
              + " engines' default, keeping fp32 logits) or fused (TransformerEngine's kernels,"
              + " Megatron-Core's --cross-entropy-fusion-impl te: two passes over the 16-bit"
              + " logits, which hold their own gradient; current Megatron-LM refuses te, so the"
              + " megatron export refuses a fused plan).")
  String crossEntropy = "unfused";

  @Option(
      names = "--fp8",
      description =
          "Run the transformer blocks' linear layers' GEMMs in FP8 with per-tensor dynamic"
              + " scaling (Transformer Engine's current scaling, torchao's Float8 tensorwise"
              + " recipe): at the device's FP8 rate, with the casts around them; weights,"
              + " activations, attention and the LM head stay in the training dtype. Needs FP8"
              + " tensor cores (H100 and later), 16-bit training and a model with transformer"
              + " blocks.")
  boolean fp8;

  @Option(
      names = "--fp8-weight-casts",
      paramLabel = "WHEN",
      description =
          "With --fp8, how often each weight and its transposed copy are cast to FP8: iteration"
              + " (default: once, reused by every micro-batch, as Transformer Engine and"
              + " Megatron-Core's FP8 parameter gather do; not under ZeRO-3, which gathers the"
              + " weights for every micro-batch) or micro-batch (in every micro-batch's forward and"
              + " backward, as torchao's Float8 linears in torchtitan do).")
  String fp8WeightCasts;

  /**
   * The training with these modes.
   *
   * @param tensorParallel the command's tensor-parallel degree, 0 when the search chooses it
   */
  TrainingSpec apply(TrainingSpec training, int tensorParallel) {
    if (tensorParallelOverlap && !sequenceParallel && tensorParallel != 1) {
      // Megatron-LM's validate_args (NVIDIA/Megatron-LM d98e8a6, megatron/training/arguments.py)
      // asserts sequence_parallel whenever tp_comm_overlap is on.
      throw new BadInputException(
          "--tp-comm-overlap goes with sequence parallelism, not --no-sequence-parallel"
              + (tensorParallel == 0 ? "" : " (--tp " + tensorParallel + ")")
              + ": the overlap splits sequence parallelism's all-gather and reduce-scatter under"
              + " the GEMMs beside them, and Megatron-LM refuses --tp-comm-overlap without"
              + " --sequence-parallel. Maybe drop --no-sequence-parallel or --tp-comm-overlap");
    }
    OptimizerSharding sharding = OptimizerSharding.parse("--zero", zero);
    if (dataParallelAllReduce
        && sharding != OptimizerSharding.ZERO1
        && sharding != OptimizerSharding.ZERO2) {
      throw new BadInputException(
          "--dp-all-reduce goes with a sharded optimizer state (--zero 1 or 2), not --zero "
              + zero
              + ": without sharding the gradients are all-reduced anyway, and ZeRO-3 reduce-scatters"
              + " them layer by layer. Maybe drop --dp-all-reduce");
    }
    return training
        .withMemoryModes(
            Recompute.parse("--recompute", recompute),
            Attention.parse("--attention", attention),
            sharding,
            sequenceParallel)
        .withTensorParallelOverlap(tensorParallelOverlap)
        .withBlockingSends(!pipelineOverlap)
        .withWholeHandOffs(!pipelineScatterGather)
        .withGradientSyncAfterBackward(!dataParallelOverlap)
        .withGradientAllReduce(dataParallelAllReduce)
        .withGradientAccumulation(
            GradientAccumulation.parse("--grad-accumulation", gradientAccumulation))
        .withCrossEntropy(CrossEntropy.parse("--cross-entropy", crossEntropy))
        .withFp8Linears(fp8)
        .withFp8WeightCastsPerIteration(fp8WeightCastsPerIteration());
  }

  /** --fp8-weight-casts as given (once an iteration when not), refused without --fp8. */
  private boolean fp8WeightCastsPerIteration() {
    if (fp8WeightCasts == null) {
      return true;
    }
    if (!fp8) {
      throw new BadInputException(
          "--fp8-weight-casts "
              + fp8WeightCasts
              + " applies only with --fp8 (FP8 linears): without them no weight is cast. Maybe add"
              + " --fp8 or drop --fp8-weight-casts");
    }
    return TrainingSpec.parseFp8WeightCasts("--fp8-weight-casts", fp8WeightCasts);
  }

  /**
   * Refuses FP8 linears that cannot be priced: for a model without transformer blocks to run them
   * (first: no other change would help), on devices without an FP8 rate, in 32-bit training (the
   * recipes cast 16-bit tensors), or with measured costs, whose times FP8 would not change.
   *
   * @param measured where the times come from when they are measured ("the profile"), else null
   */
  static void requireFp8Priced(
      ModelSpec model, TrainingSpec training, ClusterSpec cluster, String measured) {
    if (!training.fp8Linears()) {
      return;
    }
    if (!LayerOps.hasFp8Linears(model)) {
      throw new BadInputException(
          "FP8 linears (--fp8) run the linear layers of transformer blocks in FP8, but model '"
              + model.name()
              + "' has no transformer block with its dimensions given, so nothing would run in"
              + " FP8. Maybe drop --fp8.");
    }
    for (DeviceGroup group : cluster.groups()) {
      if (!group.device().sustainedFlopsPerSecond().containsKey(DType.FP8)) {
        throw new BadInputException(
            "--fp8 needs FP8 tensor cores, but device '"
                + group.device().name()
                + "' of cluster '"
                + cluster.name()
                + "' has no FP8 rate (Hopper, Ada and later GPUs have one). Maybe drop --fp8.");
      }
    }
    if (training.dtype().bytes() != 2) {
      throw new BadInputException(
          "--fp8 casts 16-bit inputs to FP8 around each GEMM, but the model trains in "
              + training.dtype().id()
              + ". Maybe train it in bf16 (--dtype bf16 for a zoo model or a Hugging Face config,"
              + " the dtype field of a model file, which --dtype cannot convert), or drop --fp8.");
    }
    if (measured != null) {
      throw new BadInputException(
          "--fp8 needs the roofline cost model, but the durations are "
              + measured
              + "'s measured times, which FP8 GEMMs would not change. Maybe drop --fp8.");
    }
  }
}
