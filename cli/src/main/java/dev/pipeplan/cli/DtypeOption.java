package dev.pipeplan.cli;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.ModelSpec;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The dtype to train in, when it is not the model's own. */
final class DtypeOption {
  @Option(
      names = "--dtype",
      paramLabel = "DTYPE",
      description =
          "The dtype to train in: fp32, tf32, fp16 or bf16 (default: the model's own; a Hugging Face"
              + " config's torch_dtype is the dtype its checkpoint was saved in). A zoo model or a"
              + " Hugging Face config is built in it; a pipeplan model file or a PipeDream graph"
              + " must already be in it.")
  String dtype;

  /**
   * Refuses a model that would train in fp8, from --dtype or its own dtype field: the cost model
   * prices a layer's GEMMs, activations and weights in one dtype, where fp8 recipes keep 16-bit
   * weights and activations beside fp8 GEMM inputs.
   */
  static void requireModelled(ModelSpec model) {
    if (model.dtype() == DType.FP8) {
      throw new BadInputException(
          "model '"
              + model.name()
              + "' trains in fp8 (its dtype): training in fp8 is not modelled (the cost model"
              + " prices a layer's GEMMs, activations and weights in one dtype, where fp8 recipes"
              + " keep 16-bit weights and activations beside fp8 GEMM inputs). Maybe train it in"
              + " bf16 (--dtype bf16 for a zoo model or a Hugging Face config, the dtype field of a"
              + " model file) with --fp8, which runs the linear layers' GEMMs in FP8.");
    }
  }

  /** The dtype given, empty for the model's own. */
  Optional<DType> dtype() {
    if (dtype == null) {
      return Optional.empty();
    }
    DType parsed;
    try {
      parsed = DType.parse("--dtype", dtype);
    } catch (BadInputException e) {
      throw new BadInputException(
          "--dtype '" + dtype + "' is not a dtype to train in; use one of fp32, tf32, fp16, bf16");
    }
    if (parsed == DType.FP8) {
      throw new BadInputException(
          "--dtype fp8: training in fp8 is not modelled (the cost model prices a layer's GEMMs,"
              + " activations and weights in one dtype, where fp8 recipes keep 16-bit weights and"
              + " activations beside fp8 GEMM inputs). Maybe use bf16 with --fp8, which runs the"
              + " linear layers' GEMMs in FP8.");
    }
    return Optional.of(parsed);
  }
}
