package dev.pipeplan.cli;

import picocli.CommandLine.Option;

/**
 * The options that say how to read a model file: shared by the commands that load one by name or
 * file.
 */
final class ModelSourceOptions {
  @Option(
      names = "--seq",
      paramLabel = "S",
      defaultValue = "0",
      description = "Sequence length (default: the model's own).")
  int seq;

  @Option(
      names = "--batch-size",
      paramLabel = "B",
      defaultValue = "0",
      description =
          "PipeDream graph.txt only: the batch size it was profiled at (default 1: one sample is one"
              + " profiled minibatch).")
  int batchSize;
}
