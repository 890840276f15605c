package dev.pipeplan.cuda.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link CublasGemm} against a column-major sgemm written from the BLAS definition, called the way
 * {@link CudaOps} calls cublasSgemm / cublasSgemmStridedBatched (first operand B at its offset and
 * stride, second A at its), compared with {@link HostOps}' row-major product.
 */
class CublasGemmTest {
  /** Column-major C = alpha op(X) op(Y) + beta C, as cuBLAS defines it (beta 0: C not read). */
  private static void sgemm(
      boolean transX,
      boolean transY,
      int m,
      int n,
      int k,
      double alpha,
      double[] x,
      long xOff,
      int ldx,
      double[] y,
      long yOff,
      int ldy,
      double beta,
      double[] c,
      long cOff,
      int ldc) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) {
          // op(X)[i, p]: X is m x k (ld rows), or X^T with X k x m
          double xv =
              transX ? x[(int) (xOff + i * (long) ldx + p)] : x[(int) (xOff + p * (long) ldx + i)];
          double yv =
              transY ? y[(int) (yOff + p * (long) ldy + j)] : y[(int) (yOff + j * (long) ldy + p)];
          s += xv * yv;
        }
        int ci = (int) (cOff + j * (long) ldc + i);
        c[ci] = alpha * s + (beta == 0 ? 0 : beta * c[ci]);
      }
    }
  }

  private static double[] random(SplittableRandom r, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextGaussian();
    }
    return v;
  }

  @Test
  void theColumnMajorCallComputesTheRowMajorProductForEveryTranspose() {
    SplittableRandom r = new SplittableRandom(3);
    int rows = 5;
    int cols = 7;
    int k = 3;
    int batch = 2;
    for (int t = 0; t < 4; t++) {
      boolean ta = (t & 1) != 0;
      boolean tb = (t & 2) != 0;
      int lda = (ta ? rows : k) + 2;
      int ldb = (tb ? k : cols) + 1;
      int ldc = cols + 3;
      long strideA = (long) (ta ? k : rows) * lda;
      long strideB = (long) (tb ? cols : k) * ldb;
      long strideC = (long) rows * ldc;
      double[] a = random(r, (int) (2 + batch * strideA));
      double[] b = random(r, (int) (1 + batch * strideB));
      double[] c0 = random(r, (int) (4 + batch * strideC));

      HostOps host = new HostOps();
      Tensor ha = host.uploadDoubles(a);
      Tensor hb = host.uploadDoubles(b);
      Tensor hc = host.uploadDoubles(c0.clone());
      host.gemmBatched(
          ta, tb, rows, cols, k, 1.5f, ha, 2, lda, strideA, hb, 1, ldb, strideB, 0.5f, hc, 4, ldc,
          strideC, batch);

      CublasGemm g = CublasGemm.forRowMajor(ta, tb, rows, cols, k, lda, ldb, ldc);
      assertThat(g.m()).isEqualTo(cols);
      assertThat(g.n()).isEqualTo(rows);
      double[] c = c0.clone();
      for (int item = 0; item < batch; item++) {
        // as CudaOps: first operand B (offset, strideB), second A (offset, strideA)
        sgemm(
            g.transFirst(),
            g.transSecond(),
            g.m(),
            g.n(),
            g.k(),
            1.5,
            b,
            1 + item * strideB,
            g.ldFirst(),
            a,
            2 + item * strideA,
            g.ldSecond(),
            0.5,
            c,
            4 + item * strideC,
            g.ldc());
      }
      double[] want = HostOps.values(hc);
      for (int i = 0; i < c.length; i++) {
        assertThat(c[i])
            .as("transA %s transB %s element %d", ta, tb, i)
            .isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-12));
      }
    }
  }

  @Test
  void leadingDimensionsBelowTheRowLengthAreRefused() {
    assertThatThrownBy(() -> CublasGemm.forRowMajor(false, false, 4, 5, 3, 2, 5, 5))
        .hasMessageContaining("lda (2) is below the row length 3");
    assertThatThrownBy(() -> CublasGemm.forRowMajor(false, true, 4, 5, 3, 3, 2, 5))
        .hasMessageContaining("ldb (2) is below the row length 3");
    assertThatThrownBy(() -> CublasGemm.forRowMajor(true, false, 4, 5, 3, 3, 5, 5))
        .hasMessageContaining("lda (3) is below the row length 4");
  }
}
