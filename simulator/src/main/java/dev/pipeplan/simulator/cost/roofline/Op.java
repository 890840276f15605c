package dev.pipeplan.simulator.cost.roofline;

/**
 * One kernel (or a batch of identical ones launched together) of a layer's pass, priced by a {@link
 * DeviceRoofline}. {@link #flops} is the model's count, the number the layer's FLOPs agree with;
 * {@link #nanos} is what the kernel takes on a device.
 */
public sealed interface Op permits Op.Gemm, Op.MemoryOp, Op.FusedAttention, Op.Unshaped {

  /** FLOPs as the model counts them (the full attention square, whatever the mask). */
  double flops();

  /** Kernels this op launches. */
  int kernels();

  /** The op's time on a device: its roofline time, and at least one launch per kernel. */
  double nanos(DeviceRoofline device);

  /**
   * {@code count} independent GEMMs C[m×n] = A[m×k]·B[k×n] launched as one batched kernel.
   *
   * @param m rows of A and C
   * @param n columns of B and C
   * @param k the reduced dimension
   * @param count batch size of a batched GEMM (attention's per-head products), 1 for one GEMM
   * @param fp8 A and B in FP8 (one byte each, at the device's FP8 rate), C in the training dtype
   */
  record Gemm(long m, long n, long k, long count, boolean fp8) implements Op {
    public Gemm {
      positive("m", m);
      positive("n", n);
      positive("k", k);
      positive("count", count);
    }

    /** A GEMM in the training dtype. */
    public Gemm(long m, long n, long k, long count) {
      this(m, n, k, count, false);
    }

    public static Gemm of(long m, long n, long k) {
      return new Gemm(m, n, k, 1);
    }

    /** The same GEMM with its inputs in FP8. */
    public Gemm inFp8() {
      return new Gemm(m, n, k, count, true);
    }

    /** Bytes of A, B and C through memory once, C (and A and B unless FP8) {@code e} bytes each. */
    public double bytes(double e) {
      double inputs = ((double) m * k + (double) k * n) * count;
      return inputs * (fp8 ? 1 : e) + (double) m * n * count * e;
    }

    @Override
    public double flops() {
      return 2.0 * m * n * k * count;
    }

    /** Elements of A, B and C, each read or written once. */
    public double elements() {
      return ((double) m * k + (double) k * n + (double) m * n) * count;
    }

    @Override
    public int kernels() {
      return 1;
    }

    @Override
    public double nanos(DeviceRoofline device) {
      return device.gemmNanos(this);
    }
  }

  /**
   * An element-wise or reduction kernel (norm, residual add, activation, softmax, rotary, dropout,
   * gather, cross-entropy): its time is its bytes over the memory bandwidth.
   */
  record MemoryOp(double bytesRead, double bytesWritten) implements Op {
    public MemoryOp {
      nonNegative("bytesRead", bytesRead);
      nonNegative("bytesWritten", bytesWritten);
    }

    public double bytes() {
      return bytesRead + bytesWritten;
    }

    @Override
    public double flops() {
      return 0;
    }

    @Override
    public int kernels() {
      return 1;
    }

    @Override
    public double nanos(DeviceRoofline device) {
      return device.memoryOpNanos(this);
    }
  }

  /**
   * A fused (flash) attention kernel, forward or backward, at its own efficiency. A causal mask
   * skips the blocks above the diagonal, so the kernel runs half of the counted FLOPs.
   *
   * @param flops the model's count: 4·s²·h per sample forward, twice that backward
   * @param bytes Q, K, V, O (and their gradients backward) read and written once
   * @param causal whether the mask is causal (decoder models)
   * @param backward the backward kernel (dQ, dK, dV), which FlashAttention-2 and -3 launch as a
   *     preprocessing kernel and the main one
   * @param flashAttention2 FlashAttention-2's kernel rather than the device's best ({@link
   *     AttentionKernel#FLASH2})
   */
  record FusedAttention(
      double flops, double bytes, boolean causal, boolean backward, boolean flashAttention2)
      implements Op {
    public FusedAttention {
      nonNegative("flops", flops);
      nonNegative("bytes", bytes);
    }

    /** The device's best fused kernel. */
    public FusedAttention(double flops, double bytes, boolean causal, boolean backward) {
      this(flops, bytes, causal, backward, false);
    }

    /** The FLOPs the kernel really runs. */
    public double executedFlops() {
      return causal ? flops / 2 : flops;
    }

    @Override
    public int kernels() {
      return backward ? 2 : 1;
    }

    @Override
    public double nanos(DeviceRoofline device) {
      return device.attentionNanos(this);
    }
  }

  /**
   * A layer without the shape a roofline needs (a convolution, a user's layer, a block described by
   * FLOPs only): its FLOPs at the best GEMM rate plus its weights streamed once, as the analytic
   * model priced every layer before the roofline. No launch floor: such a layer's kernels are
   * unknown.
   */
  record Unshaped(double flops, double bytes) implements Op {
    public Unshaped {
      nonNegative("flops", flops);
      nonNegative("bytes", bytes);
    }

    @Override
    public int kernels() {
      return 0;
    }

    @Override
    public double nanos(DeviceRoofline device) {
      return device.unshapedNanos(this);
    }
  }

  private static void positive(String field, long value) {
    if (value < 1) {
      throw new IllegalArgumentException("GEMM " + field + " must be >= 1, got " + value);
    }
  }

  private static void nonNegative(String field, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(field + " must be finite and >= 0, got " + value);
    }
  }
}
