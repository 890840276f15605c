package dev.pipeplan.cli;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.WorkLimits;
import picocli.CommandLine.Option;

/**
 * The options that say how to read a model file: shared by the commands that load one by name or
 * file.
 */
final class ModelSourceOptions {
  @Option(
      names = "--seq",
      paramLabel = "S",
      description = "Sequence length (default: the model's own).")
  Integer seq;

  /** The sequence length to read the model at, 0 for the model's own (--seq left out). */
  int seq() {
    return WorkLimits.sequenceLengthOption(seq);
  }

  @Option(
      names = "--batch-size",
      paramLabel = "B",
      description =
          "PipeDream graph.txt only: the batch size it was profiled at (default 1: one sample is one"
              + " profiled minibatch).")
  Integer batchSize;

  /**
   * The batch size to read a PipeDream graph at, 0 for the reader's default (1); a given value
   * below 1 is refused (a given 0 used to mean 1 without a word).
   */
  int batchSize() {
    if (batchSize == null) {
      return 0;
    }
    if (batchSize < 1) {
      throw new BadInputException(
          "--batch-size must be >= 1 (the batch size the PipeDream graph was profiled at), got "
              + batchSize);
    }
    return batchSize;
  }
}
