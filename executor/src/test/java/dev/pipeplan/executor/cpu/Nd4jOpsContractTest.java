package dev.pipeplan.executor.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.OpsContractTest;
import dev.pipeplan.executor.core.ops.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link Nd4jOps} passes the backend contract against the host reference, frees what the layers
 * free, and refuses a product that would reach past a buffer instead of writing native memory it
 * does not own.
 */
class Nd4jOpsContractTest extends OpsContractTest {
  @Override
  protected Ops newOps() {
    return new Nd4jOps();
  }

  @Override
  protected void release(Ops ops) {
    assertThat(((Nd4jOps) ops).liveTensors()).as("buffers left allocated").isZero();
  }

  @Test
  void refusesAProductPastTheEndOfABuffer() {
    Nd4jOps ops = new Nd4jOps();
    Tensor a = ops.zeros(6);
    Tensor b = ops.zeros(6);
    Tensor c = ops.zeros(4);
    assertThatThrownBy(() -> ops.gemm(false, false, 2, 2, 3, 1f, a, 1, 3, b, 0, 2, 0f, c, 0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("A of 2 x 3 at offset 1 with leading dimension 3 ends at element 6")
        .hasMessageContaining("past its buffer of 6");
    ops.gemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2);
    ops.free(a, b, c);
    assertThat(ops.liveTensors()).isZero();
    assertThatThrownBy(() -> ops.free(a)).hasMessageContaining("freed twice");
  }

  @Test
  void keepsTokenIdsExactAsInts() {
    Nd4jOps ops = new Nd4jOps();
    int big = (1 << 24) + 1; // not representable as a float
    Tensor ids = ops.uploadInts(new int[] {big, 3});
    assertThat(((Nd4jOps.Nd4jTensor) ids).id(0)).isEqualTo(big);
    ops.free(ids);
  }
}
