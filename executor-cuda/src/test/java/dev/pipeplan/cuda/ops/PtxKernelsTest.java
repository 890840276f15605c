package dev.pipeplan.cuda.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.executor.core.ops.Kernel;
import org.junit.jupiter.api.Test;

class PtxKernelsTest {
  @Test
  void everyLaunchedKernelIsInThePtxWithTheSameParameters() {
    String ptx = PtxKernels.text();
    assertThat(ptx).contains(".target sm_90").contains(".address_size 64");
    assertThat(PtxKernels.mismatches(ptx)).isEmpty();
  }

  @Test
  void theLaunchBlockIsTheKernelsSharedReductionSize() throws java.io.IOException {
    // block_sum / block_max halve blockDim.x over a shared array of ROW_THREADS floats: the launch
    // block must be that size and a power of two
    String cu =
        java.nio.file.Files.readString(java.nio.file.Path.of("src/main/cuda/pipeplan_kernels.cu"));
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("#define ROW_THREADS (\\d+)").matcher(cu);
    assertThat(m.find()).isTrue();
    assertThat(Integer.parseInt(m.group(1))).isEqualTo(KernelGeometry.THREADS);
    assertThat(Integer.bitCount(KernelGeometry.THREADS)).isEqualTo(1);
    assertThat(KernelGeometry.THREADS).isLessThanOrEqualTo(1024);
  }

  @Test
  void rowKernelsGetOneBlockPerRowAndElementwiseKernelsAreCapped() {
    assertThat(KernelGeometry.of(Kernel.Shape.ROW, 1024)).isEqualTo(new KernelGeometry(1024, 256));
    assertThat(KernelGeometry.of(Kernel.Shape.COLUMN, 257)).isEqualTo(new KernelGeometry(2, 256));
    assertThat(KernelGeometry.of(Kernel.Shape.ELEMENTWISE, 1L << 40).gridX())
        .isEqualTo(KernelGeometry.MAX_ELEMENTWISE_BLOCKS);
  }

  @Test
  void rowMajorProductMapsToSwappedColumnMajorCall() {
    // C[2x3] = A[2x4] B[4x3]: cuBLAS computes C^T = B^T A^T with m = 3, n = 2
    CublasGemm g = CublasGemm.forRowMajor(false, true, 2, 3, 4, 4, 4, 3);
    assertThat(g).isEqualTo(new CublasGemm(true, false, 3, 2, 4, 4, 4, 3));
    // emulate the column-major call and compare with the row-major product
    double[] a = {1, 2, 3, 4, 5, 6, 7, 8};
    double[] bt = {1, 0, 2, 1, 0, 1, 0, 1, 2, 2, 1, 0};
    double[] c = new double[6];
    for (int col = 0; col < g.n(); col++) {
      for (int row = 0; row < g.m(); row++) {
        double s = 0;
        for (int p = 0; p < g.k(); p++) {
          double first = g.transFirst() ? bt[row * g.ldFirst() + p] : bt[p * g.ldFirst() + row];
          double second = g.transSecond() ? a[p * g.ldSecond() + col] : a[col * g.ldSecond() + p];
          s += first * second;
        }
        c[col * g.ldc() + row] = s;
      }
    }
    assertThat(c)
        .containsExactly(
            1 * 1 + 2 * 0 + 3 * 2 + 4 * 1,
            1 * 0 + 2 * 1 + 3 * 0 + 4 * 1,
            1 * 2 + 2 * 2 + 3 * 1 + 4 * 0,
            5 * 1 + 6 * 0 + 7 * 2 + 8 * 1,
            5 * 0 + 6 * 1 + 7 * 0 + 8 * 1,
            5 * 2 + 6 * 2 + 7 * 1 + 8 * 0);
  }
}
