package dev.pipeplan.executor.core.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The Llama family's kernels on {@link HostOps} against closed forms: Hugging Face's rotate-half
 * convention for the rotary embedding (column p pairs with p + d/2, pair p turns by position x
 * theta^(-2p/d)), its inverse, and RMSNorm.
 */
class LlamaKernelsTest {
  private static final double EPS = 1e-12;

  @Test
  void ropeTurnsColumnPWithColumnPPlusHalfByThePositionsAngle() {
    HostOps ops = new HostOps();
    // two tokens (positions 0 and 1) of one head of 4: pair 0 turns by t, pair 1 by t / 100
    Tensor x = ops.uploadDoubles(new double[] {1, 2, 3, 4, 1, 2, 3, 4});
    ops.launch(Kernel.ROPE, 4, x, 2, 2, 1, 4, 10_000f, 0);
    double[] y = HostOps.values(x);
    // position 0: unchanged
    assertThat(y).startsWith(1, 2, 3, 4);
    double c0 = Math.cos(1);
    double s0 = Math.sin(1);
    double c1 = Math.cos(0.01);
    double s1 = Math.sin(0.01);
    assertThat(y[4]).isCloseTo(1 * c0 - 3 * s0, within(EPS));
    assertThat(y[6]).isCloseTo(3 * c0 + 1 * s0, within(EPS));
    assertThat(y[5]).isCloseTo(2 * c1 - 4 * s1, within(EPS));
    assertThat(y[7]).isCloseTo(4 * c1 + 2 * s1, within(EPS));
  }

  @Test
  void theInverseRotationUndoesTheRotationAtEveryPositionAndHead() {
    HostOps ops = new HostOps();
    double[] original = new double[3 * 2 * 6];
    for (int i = 0; i < original.length; i++) {
      original[i] = Math.sin(i + 1) * 3;
    }
    Tensor x = ops.uploadDoubles(original.clone());
    // 3 rows of a sequence of 3, 2 heads of 6
    ops.launch(Kernel.ROPE, 3 * 2 * 3, x, 3, 3, 2, 6, 2f, 0);
    assertThat(HostOps.values(x)[original.length - 1])
        .isNotCloseTo(original[original.length - 1], within(1e-3));
    ops.launch(Kernel.ROPE, 3 * 2 * 3, x, 3, 3, 2, 6, 2f, 1);
    double[] back = HostOps.values(x);
    for (int i = 0; i < original.length; i++) {
      assertThat(back[i]).as("element %d", i).isCloseTo(original[i], within(1e-12));
    }
  }

  @Test
  void rmsNormDividesByTheRootMeanSquareAndScalesByTheGain() {
    HostOps ops = new HostOps();
    Tensor x = ops.uploadDoubles(new double[] {3, 4, -1, 1});
    Tensor gain = ops.uploadDoubles(new double[] {2, 0.5});
    Tensor normalized = ops.zeros(4);
    Tensor rstd = ops.zeros(2);
    Tensor y = ops.zeros(4);
    ops.launch(Kernel.RMSNORM_FORWARD, 2, x, gain, normalized, rstd, y, 2, 2, 0f);
    double r0 = 1 / Math.sqrt(12.5);
    assertThat(HostOps.values(rstd)).containsExactly(new double[] {r0, 1}, within(EPS));
    assertThat(HostOps.values(y))
        .containsExactly(new double[] {6 * r0, 2 * r0, -2, 0.5}, within(EPS));
  }
}
