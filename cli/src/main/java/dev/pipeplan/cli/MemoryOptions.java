package dev.pipeplan.cli;

import dev.pipeplan.models.Attention;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.TrainingSpec;
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
      description = "flash (fused: no s² scores kept; default) or eager.")
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
      defaultValue = "0",
      description =
          "Shard over data parallelism: 0/none (default), 1/zero1 the optimizer state (Megatron's"
              + " distributed optimizer), 2/zero2 also the gradients.")
  String zero;

  @Option(
      names = "--sequence-parallel",
      description =
          "Split the norm and dropout activations over the tensor-parallel ranks too (with --tp > 1).")
  boolean sequenceParallel;

  /** The training with these modes. */
  TrainingSpec apply(TrainingSpec training) {
    return training.withMemoryModes(
        Recompute.parse("--recompute", recompute),
        Attention.parse("--attention", attention),
        OptimizerSharding.parse("--zero", zero),
        sequenceParallel);
  }
}
