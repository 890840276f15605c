package dev.pipeplan.executor.core.ops;

/**
 * The operations the layers run, on one device stream: buffers, row-major matrix products and the
 * kernels of {@link Kernel}. Everything is enqueued in order; {@link #download} waits for what came
 * before it. Matrices are row-major with explicit leading dimensions (row lengths) and element
 * offsets, so that a head of a {@code [tokens, heads * headDim]} matrix is addressed in place.
 */
public interface Ops {
  /** A buffer of {@code n} floats whose contents are undefined until written. */
  Tensor alloc(long n);

  /** A buffer of {@code n} zeros. */
  Tensor zeros(long n);

  /** Frees buffers (nulls are skipped); frees are ordered after the work already enqueued. */
  void free(Tensor... tensors);

  Tensor upload(float[] values);

  /** Token ids or labels, as int32. */
  Tensor uploadInts(int[] values);

  /** The buffer's values, after all work enqueued so far. */
  float[] download(Tensor tensor);

  /** The sum of a buffer's values, in double, after all work enqueued so far. */
  default double sum(Tensor tensor) {
    double s = 0;
    for (float v : download(tensor)) {
      s += v;
    }
    return s;
  }

  /** Copies {@code src} into {@code dst} (the length of {@code src}). */
  void copy(Tensor src, Tensor dst);

  void zero(Tensor tensor);

  /**
   * Row-major {@code C[rows x cols] = alpha op(A)[rows x k] op(B)[k x cols] + beta C}. A stored
   * transposed is {@code k x rows} (row length {@code lda}), B stored transposed is {@code cols x
   * k}; see {@link #checkLeadingDimensions}.
   */
  void gemm(
      boolean transA,
      boolean transB,
      int rows,
      int cols,
      int k,
      float alpha,
      Tensor a,
      long aOffset,
      int lda,
      Tensor b,
      long bOffset,
      int ldb,
      float beta,
      Tensor c,
      long cOffset,
      int ldc);

  /** {@code batch} products; item i starts {@code i * stride} elements after each offset. */
  void gemmBatched(
      boolean transA,
      boolean transB,
      int rows,
      int cols,
      int k,
      float alpha,
      Tensor a,
      long aOffset,
      int lda,
      long strideA,
      Tensor b,
      long bOffset,
      int ldb,
      long strideB,
      float beta,
      Tensor c,
      long cOffset,
      int ldc,
      long strideC,
      int batch);

  /** Launches a kernel over {@code work} items (elements, rows or columns, by its shape). */
  void launch(Kernel kernel, long work, Object... args);

  /** Plain product {@code C = A B} (or with transposes) of whole, densely stored matrices. */
  default void matmul(
      boolean transA,
      boolean transB,
      int rows,
      int cols,
      int k,
      Tensor a,
      Tensor b,
      float beta,
      Tensor c) {
    gemm(
        transA,
        transB,
        rows,
        cols,
        k,
        1f,
        a,
        0,
        transA ? rows : k,
        b,
        0,
        transB ? k : cols,
        beta,
        c,
        0,
        cols);
  }

  /**
   * Throws unless each leading dimension (row length as stored) is at least the row length of its
   * operand: {@code lda >= (transA ? rows : k)}, {@code ldb >= (transB ? k : cols)}, {@code ldc >=
   * cols}, and at least 1. Every implementation checks a product's arguments with it.
   */
  static void checkLeadingDimensions(
      boolean transA, boolean transB, int rows, int cols, int k, int lda, int ldb, int ldc) {
    checkLeading("lda", lda, transA ? rows : k);
    checkLeading("ldb", ldb, transB ? k : cols);
    checkLeading("ldc", ldc, cols);
  }

  private static void checkLeading(String name, int ld, int rowLength) {
    if (ld < Math.max(1, rowLength)) {
      throw new IllegalArgumentException(
          name + " (" + ld + ") is below the row length " + rowLength);
    }
  }
}
