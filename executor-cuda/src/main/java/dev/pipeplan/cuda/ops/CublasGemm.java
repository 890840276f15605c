package dev.pipeplan.cuda.ops;

import dev.pipeplan.executor.core.ops.Ops;

/**
 * A row-major product {@code C = alpha op(A) op(B) + beta C} as the column-major cuBLAS call that
 * computes it. A row-major matrix is the column-major matrix of its transpose, so {@code C^T =
 * op(B)^T op(A)^T}: cuBLAS gets B first, A second, and m and n swapped; the leading dimensions stay
 * the row-major row lengths.
 *
 * @param transFirst whether cuBLAS transposes its first operand (row-major B)
 * @param transSecond whether cuBLAS transposes its second operand (row-major A)
 * @param m cuBLAS m: columns of row-major C
 * @param n cuBLAS n: rows of row-major C
 * @param k the inner dimension
 * @param ldFirst leading dimension of the first operand (row-major B's row length)
 * @param ldSecond leading dimension of the second operand (row-major A's row length)
 * @param ldc leading dimension of C
 */
public record CublasGemm(
    boolean transFirst,
    boolean transSecond,
    int m,
    int n,
    int k,
    int ldFirst,
    int ldSecond,
    int ldc) {

  /**
   * The cuBLAS arguments for row-major {@code C[rows x cols] = op(A)[rows x k] op(B)[k x cols]}.
   *
   * @param transA whether A is stored transposed (A is then k x rows, row length lda)
   * @param transB whether B is stored transposed (B is then cols x k)
   */
  public static CublasGemm forRowMajor(
      boolean transA, boolean transB, int rows, int cols, int k, int lda, int ldb, int ldc) {
    Ops.checkLeadingDimensions(transA, transB, rows, cols, k, lda, ldb, ldc);
    return new CublasGemm(transB, transA, cols, rows, k, ldb, lda, ldc);
  }
}
