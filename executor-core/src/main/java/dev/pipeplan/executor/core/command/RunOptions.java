package dev.pipeplan.executor.core.command;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options of {@code run} on every backend: the plan, how many iterations, the seed, the
 * learning rate, native threads and where the run goes. Each backend checks the values it needs
 * (the CPU wants at least 5 measured iterations for its error interval).
 */
public final class RunOptions {
  @Option(
      names = "--plan",
      required = true,
      paramLabel = "FILE",
      description = "The plan (from 'pipeplan plan').")
  Path plan;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      defaultValue = "5",
      description =
          "Measured iterations, at least 5 on the CPU and at most 1000: the compared iteration is"
              + " their median and the error's interval is bootstrapped over them (default:"
              + " ${DEFAULT-VALUE}).")
  int iterations;

  @Option(
      names = "--warmup",
      paramLabel = "K",
      defaultValue = "2",
      description = "Iterations run first and not recorded, 0 to 1000 (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Native threads per worker on the CPU (default: ${DEFAULT-VALUE}; the launcher sets"
              + " OMP_NUM_THREADS=1); the GPU is fed by one host thread.")
  int threads;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "1",
      description = "Seed of the weights and the synthetic data (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--lr",
      paramLabel = "RATE",
      defaultValue = "0.001",
      description = "Learning rate (default: ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      defaultValue = "run.json",
      description = "Where to write the run (default: ${DEFAULT-VALUE}).")
  Path output;

  /** The most measured or warm-up iterations one run takes. */
  public static final int MAX_ITERATIONS = 1000;

  /**
   * Refuses iteration counts a run cannot honour: measured iterations from {@code minIterations}
   * (the CPU's error interval needs 5) to {@link #MAX_ITERATIONS}, warm-up from 0 to the same
   * limit.
   */
  public static void checkCounts(int iterations, int minIterations, int warmup) {
    if (iterations < minIterations || iterations > MAX_ITERATIONS) {
      throw new dev.pipeplan.models.BadInputException(
          "--iterations must be between "
              + minIterations
              + " and "
              + MAX_ITERATIONS
              + ", got "
              + iterations
              + (minIterations > 1 && iterations < minIterations
                  ? ": the compared iteration is the median of the measured ones, and their spread"
                      + " gives the error's interval"
                  : ""));
    }
    if (warmup < 0 || warmup > MAX_ITERATIONS) {
      throw new dev.pipeplan.models.BadInputException(
          "--warmup must be between 0 and " + MAX_ITERATIONS + ", got " + warmup);
    }
  }

  public Path plan() {
    return plan;
  }

  public int iterations() {
    return iterations;
  }

  public int warmup() {
    return warmup;
  }

  /**
   * The most native threads a worker may ask for: beyond it a run only oversubscribes the cores.
   */
  public static final int MAX_THREADS_PER_WORKER = 256;

  /** Refuses a thread count outside 1..{@link #MAX_THREADS_PER_WORKER}, naming the option. */
  public static void checkThreads(int threads) {
    if (threads < 1 || threads > MAX_THREADS_PER_WORKER) {
      throw new dev.pipeplan.models.BadInputException(
          "--threads must be between 1 and " + MAX_THREADS_PER_WORKER + ", got " + threads);
    }
  }

  public int threads() {
    return threads;
  }

  public long seed() {
    return seed;
  }

  public double learningRate() {
    return learningRate;
  }

  public Path output() {
    return output;
  }
}
