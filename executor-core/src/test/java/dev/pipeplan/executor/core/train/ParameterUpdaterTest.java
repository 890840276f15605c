package dev.pipeplan.executor.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.executor.core.layers.Layer;
import dev.pipeplan.executor.core.layers.Layers;
import dev.pipeplan.executor.core.layers.Param;
import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.models.io.ModelLoader;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The optimizer step both backends apply, on {@link HostOps} against the update rules. */
class ParameterUpdaterTest {
  private static Layer<?> layer(HostOps ops) {
    return Layers.build(ops, ModelLoader.load("gpt-tiny", 4).layer(1), new SplittableRandom(11));
  }

  @Test
  void sgdSubtractsTheRateTimesTheGradient() {
    HostOps ops = new HostOps();
    Layer<?> layer = layer(ops);
    Param p = layer.parameters().get(0);
    double[] value = HostOps.values(p.value());
    double[] grad = HostOps.values(p.gradient());
    double before = value[3];
    grad[3] = 0.5;
    new ParameterUpdater(OptimizerSettings.sgd(0.1), ops, layer.parameters()).step();
    assertThat(value[3]).isCloseTo(before - 0.05, within(1e-6));
    layer.release(ops);
    assertThat(ops.liveTensors()).isZero();
  }

  @Test
  void adamsFirstStepsMoveByTheRateInTheGradientsDirection() {
    HostOps ops = new HostOps();
    Layer<?> layer = layer(ops);
    Param p = layer.parameters().get(0);
    double[] value = HostOps.values(p.value());
    double[] grad = HostOps.values(p.gradient());
    double before = value[0];
    grad[0] = -2.0;
    ParameterUpdater updater =
        new ParameterUpdater(OptimizerSettings.adam(1e-2), ops, layer.parameters());
    updater.step();
    // bias-corrected first step: m / (sqrt(v) + eps) = g / |g|
    assertThat(value[0]).isCloseTo(before + 1e-2, within(1e-6));
    updater.step();
    // the same gradient again: the corrected moments are unchanged, so is the step
    assertThat(value[0]).isCloseTo(before + 2e-2, within(1e-6));
    // Adam's moments belong to the parameters and go with them
    layer.release(ops);
    assertThat(ops.liveTensors()).isZero();
  }
}
