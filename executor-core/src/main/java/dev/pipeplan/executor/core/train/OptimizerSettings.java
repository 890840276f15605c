package dev.pipeplan.executor.core.train;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import java.util.Locale;
import java.util.Objects;

/**
 * The optimizer the runtime steps once per iteration, after the gradients of all micro-batches are
 * accumulated.
 *
 * @param kind SGD or Adam
 * @param learningRate step size
 * @param beta1 Adam's first-moment decay
 * @param beta2 Adam's second-moment decay
 * @param epsilon Adam's denominator guard
 */
public record OptimizerSettings(
    Kind kind, double learningRate, double beta1, double beta2, double epsilon) {
  /** The update rules. */
  public enum Kind {
    SGD,
    ADAM
  }

  public OptimizerSettings {
    Objects.requireNonNull(kind, "kind");
    Checks.positive("learningRate", learningRate);
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new BadInputException("Adam betas must be in [0, 1), got " + beta1 + " and " + beta2);
    }
    Checks.positive("epsilon", epsilon);
  }

  public static OptimizerSettings sgd(double learningRate) {
    return new OptimizerSettings(Kind.SGD, learningRate, 0.9, 0.999, 1e-8);
  }

  public static OptimizerSettings adam(double learningRate) {
    return new OptimizerSettings(Kind.ADAM, learningRate, 0.9, 0.999, 1e-8);
  }

  /** Adam for plans whose optimizer is a form of Adam, else SGD; both with the given rate. */
  public static OptimizerSettings forOptimizerName(String name, double learningRate) {
    return name != null && name.toLowerCase(Locale.ROOT).startsWith("adam")
        ? adam(learningRate)
        : sgd(learningRate);
  }
}
