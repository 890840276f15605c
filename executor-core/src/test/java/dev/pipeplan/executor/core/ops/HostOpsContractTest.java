package dev.pipeplan.executor.core.ops;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reference against itself: the contract's cases run on it, and every case frees every buffer
 * it makes (the F, I, W ownership rules of the layers), which only {@link HostOps} can count.
 */
class HostOpsContractTest extends OpsContractTest {
  @Override
  protected Ops newOps() {
    return new HostOps();
  }

  @Override
  protected void release(Ops ops) {
    assertThat(((HostOps) ops).liveTensors()).as("buffers left allocated").isZero();
  }
}
