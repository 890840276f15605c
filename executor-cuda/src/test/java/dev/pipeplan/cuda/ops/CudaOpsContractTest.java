package dev.pipeplan.cuda.ops;

import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.OpsContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link CudaOps} passes the backend contract on GPU 0, one stream per test. Where no usable CUDA
 * device is present each test is skipped, with the probe's reason in the report.
 */
class CudaOpsContractTest extends OpsContractTest {
  private static CudaProbe.Result probe;
  private static CudaDevice device;

  @BeforeAll
  static void probe() {
    probe = CudaProbe.probe();
  }

  @BeforeEach
  void needsAGpu() {
    Assumptions.assumeTrue(
        probe.available(), () -> "the CUDA backend contract needs a GPU: " + probe.reason());
    if (device == null) {
      device = CudaDevice.open(0);
    }
  }

  @AfterAll
  static void closeDevice() {
    if (device != null) {
      device.close();
      device = null;
    }
  }

  @Override
  protected Ops newOps() {
    return device.newStream();
  }

  @Override
  protected void release(Ops ops) {
    device.releaseStream((CudaOps) ops);
  }
}
