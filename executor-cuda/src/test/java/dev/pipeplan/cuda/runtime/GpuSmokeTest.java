package dev.pipeplan.cuda.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.cuda.ops.CudaDevice;
import dev.pipeplan.cuda.ops.CudaOps;
import dev.pipeplan.cuda.ops.CudaProbe;
import dev.pipeplan.cuda.ops.SelfCheck;
import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Runs only where a CUDA device is usable; skips with the probe's reason elsewhere (CI). */
class GpuSmokeTest {
  @Test
  void gemmAndKernelsRunOnTheGpu() {
    CudaProbe.Result probe = CudaProbe.probe();
    Assumptions.assumeTrue(probe.available(), probe.reason());
    try (CudaDevice device = CudaDevice.open(0)) {
      CudaOps ops = device.newStream();
      Tensor a = ops.upload(new float[] {1, 2, 3, 4, 5, 6});
      Tensor b = ops.upload(new float[] {1, 0, 0, 1, 1, 1});
      Tensor c = ops.alloc(4);
      ops.matmul(false, false, 2, 2, 3, a, b, 0f, c);
      assertThat(ops.download(c)).containsExactly(4, 5, 10, 11);
      ops.launch(Kernel.ADD, 4, c, c, 4L);
      assertThat(ops.download(c)).containsExactly(8, 10, 20, 22);
      ops.free(a, b, c);
    }
  }

  @Test
  void selfCheckPassesOnTheGpu() {
    CudaProbe.Result probe = CudaProbe.probe();
    Assumptions.assumeTrue(probe.available(), probe.reason());
    try (CudaDevice device = CudaDevice.open(0)) {
      SelfCheck.Report report = SelfCheck.device(device, line -> {});
      assertThat(report.failures()).isEmpty();
      assertThat(device.openStreams()).isZero();
    }
  }

  @Test
  void probeNeverThrowsAndExplainsItself() {
    CudaProbe.Result probe = CudaProbe.probe();
    assertThat(probe.reason()).isNotBlank();
    if (!probe.available()) {
      assertThat(probe.reason()).startsWith("no CUDA device");
    }
  }
}
