package dev.pipeplan.executor.runtime;

import dev.pipeplan.executor.layers.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Applies one optimizer step to a fixed list of parameters, keeping Adam's moments between steps.
 */
final class ParameterUpdater {
  private final OptimizerSettings settings;
  private final List<Parameter> parameters;
  private final List<INDArray> firstMoments = new ArrayList<>();
  private final List<INDArray> secondMoments = new ArrayList<>();
  private int steps;

  ParameterUpdater(OptimizerSettings settings, List<Parameter> parameters) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.parameters = List.copyOf(parameters);
    if (settings.kind() == OptimizerSettings.Kind.ADAM) {
      for (Parameter p : this.parameters) {
        firstMoments.add(p.value().ulike().assign(0));
        secondMoments.add(p.value().ulike().assign(0));
      }
    }
  }

  void step() {
    steps++;
    double lr = settings.learningRate();
    if (settings.kind() == OptimizerSettings.Kind.SGD) {
      for (Parameter p : parameters) {
        p.value().subi(p.gradient().mul(lr));
      }
      return;
    }
    double b1 = settings.beta1();
    double b2 = settings.beta2();
    double correction1 = 1 - Math.pow(b1, steps);
    double correction2 = 1 - Math.pow(b2, steps);
    for (int i = 0; i < parameters.size(); i++) {
      INDArray g = parameters.get(i).gradient();
      INDArray m = firstMoments.get(i).muli(b1).addi(g.mul(1 - b1));
      INDArray v = secondMoments.get(i).muli(b2).addi(g.mul(g).muli(1 - b2));
      INDArray denominator = Transforms.sqrt(v.div(correction2), false).addi(settings.epsilon());
      parameters.get(i).value().subi(m.div(correction1).divi(denominator).muli(lr));
    }
  }

  /** Frees the optimizer state's native buffers; the updater is not used again. */
  void release() {
    for (INDArray a : firstMoments) {
      a.close();
    }
    for (INDArray a : secondMoments) {
      a.close();
    }
    firstMoments.clear();
    secondMoments.clear();
  }
}
