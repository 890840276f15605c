package dev.pipeplan.executor.core.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stage both backends run, with the loss read in F (CPU) or deferred (CUDA streams). */
class StageModuleTest {
  /** Loss and the LM head's weight gradient after F, I and W of two micro-batches. */
  private static double[] run(boolean deferLoss) {
    HostOps ops = new HostOps();
    LayerCase head = LayerCase.LM_HEAD;
    Layer<?> layer = head.build(ops);
    StageModule stage = new StageModule(0, ops, List.of(layer), false, true, deferLoss);
    for (int mb = 0; mb < 2; mb++) {
      DeviceBatch batch = head.batch(ops);
      Tensor out = stage.forward(mb, LayerCase.upload(ops, head.input()), batch);
      assertThat(out).isNull();
      Tensor grad = stage.backwardInput(mb, null);
      ops.free(grad);
      stage.backwardWeight(mb);
      batch.release(ops);
    }
    double loss = stage.drainLoss();
    double[] weightGrad = HostOps.values(layer.parameters().get(0).gradient());
    double[] result = new double[weightGrad.length + 1];
    result[0] = loss;
    System.arraycopy(weightGrad, 0, result, 1, weightGrad.length);
    return result;
  }

  @Test
  void aDeferredLossIsTheSameLossReadOnceAndTheGradientsDoNotChange() {
    double[] read = run(false);
    double[] deferred = run(true);
    assertThat(read[0]).isPositive();
    assertThat(deferred).containsExactly(read);
  }

  @Test
  void aLastStageWithoutALossLayerCannotDeferItsLoss() {
    HostOps ops = new HostOps();
    Layer<?> mlp = LayerCase.MLP.build(ops);
    assertThatThrownBy(() -> new StageModule(3, ops, List.of(mlp), false, true, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("stage 3 cannot defer its loss: it ends in mlp, not a loss layer");
    // Not the last stage, or not deferring: fine.
    assertThat(new StageModule(3, ops, List.of(mlp), false, false, true).isLast()).isFalse();
    assertThat(new StageModule(3, ops, List.of(mlp), false, true, false).isLast()).isTrue();
  }
}
