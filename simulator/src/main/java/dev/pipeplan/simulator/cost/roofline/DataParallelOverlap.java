package dev.pipeplan.simulator.cost.roofline;

/**
 * The data-parallel gradient reduction as Megatron's distributed data parallel and PyTorch DDP run
 * it: gradients are grouped in buckets in the order the backward produces them, and each bucket's
 * all-reduce starts as soon as the bucket is full, while the backward goes on. The reduction can
 * only start on the last micro-batch's backward (earlier micro-batches only accumulate), so the
 * window that hides it is that backward on the device; the last bucket is only full when the
 * backward ends, so at least its share is exposed:
 *
 * <pre>
 *   exposed = max(allReduce − window, allReduce · min(1, bucket / gradients))
 * </pre>
 */
public final class DataParallelOverlap {
  private DataParallelOverlap() {}

  /**
   * Megatron-LM's default gradient bucket: 40 million parameters ({@code --ddp-bucket-size}
   * defaults to max(40,000,000, 1,000,000 · dp) elements in megatron/core/distributed).
   */
  public static final long MEGATRON_BUCKET_PARAMETERS = 40_000_000L;

  /**
   * The part of the gradient all-reduce that the backward does not hide.
   *
   * @param allReduceNanos the whole reduction, unhidden
   * @param windowNanos the backward compute it can run under (the last micro-batch's I and W on the
   *     device)
   * @param gradientParameters the parameters whose gradients are reduced
   * @param bucketParameters the parameters of the bucket the backward fills last (and the forward
   *     gathers first)
   */
  public static long exposedNanos(
      long allReduceNanos, long windowNanos, long gradientParameters, long bucketParameters) {
    if (allReduceNanos < 0 || windowNanos < 0 || gradientParameters < 0 || bucketParameters < 1) {
      throw new IllegalArgumentException(
          "all-reduce, window and gradient sizes must be >= 0 and the bucket >= 1, got "
              + allReduceNanos
              + ", "
              + windowNanos
              + ", "
              + gradientParameters
              + ", "
              + bucketParameters);
    }
    if (allReduceNanos == 0 || gradientParameters == 0) {
      return 0;
    }
    double lastBucket = Math.min(1.0, (double) bucketParameters / gradientParameters);
    long tail = (long) Math.ceil(allReduceNanos * lastBucket);
    return Math.max(allReduceNanos - windowNanos, tail);
  }

  /** The bucket of a data-parallel degree: Megatron's default, growing with dp. */
  public static long bucketParameters(int dataParallel) {
    return Math.max(MEGATRON_BUCKET_PARAMETERS, 1_000_000L * dataParallel);
  }
}
