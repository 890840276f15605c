package dev.pipeplan.executor.core.train;

import dev.pipeplan.executor.core.layers.Param;
import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * Applies one optimizer step to a fixed list of parameters with the SGD and Adam kernels; Adam's
 * moments live in the parameters (made on the first step) and are freed with them. Every backend
 * keeps one per pipeline device, over the parameters of that device's stages.
 */
public final class ParameterUpdater {
  private final OptimizerSettings settings;
  private final Ops ops;
  private final List<Param> parameters;
  private int steps;

  public ParameterUpdater(OptimizerSettings settings, Ops ops, List<Param> parameters) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.ops = Objects.requireNonNull(ops, "ops");
    this.parameters = List.copyOf(parameters);
  }

  /** One step over every parameter, in the list's order, on this updater's ops. */
  public void step() {
    steps++;
    float lr = (float) settings.learningRate();
    if (settings.kind() == OptimizerSettings.Kind.SGD) {
      for (Param p : parameters) {
        ops.launch(Kernel.SGD_STEP, p.length(), p.value(), p.gradient(), lr, p.length());
      }
      return;
    }
    double b1 = settings.beta1();
    double b2 = settings.beta2();
    float correction1 = (float) (1 - Math.pow(b1, steps));
    float correction2 = (float) (1 - Math.pow(b2, steps));
    for (Param p : parameters) {
      Tensor[] moments = p.moments(ops);
      ops.launch(
          Kernel.ADAM_STEP,
          p.length(),
          p.value(),
          p.gradient(),
          moments[0],
          moments[1],
          lr,
          (float) b1,
          (float) b2,
          (float) settings.epsilon(),
          correction1,
          correction2,
          p.length());
    }
  }
}
