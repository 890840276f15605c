package dev.pipeplan.cuda.ops;

import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.OpsComparison;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.bytedeco.cuda.cudart.CUevent_st;

/**
 * A few seconds of checks before a long GPU run: every kernel of {@link Kernel} and the cuBLAS
 * products (all four transposes, offsets, padded leading dimensions, strided batches, beta 0 over
 * NaN) on small inputs, compared with {@link HostOps}; then events, cross-stream waits, the memory
 * pool's attributes and cudaMemGetInfo. Each failure is one line that names the call and the
 * numbers, so one GPU run tells what is wrong. The sizes make the row kernels loop (rows longer
 * than a block) and the column kernels use more than one block.
 */
public final class SelfCheck {
  /** Largest |gpu - host| allowed: {@link OpsComparison#TOLERANCE}. */
  public static final double TOLERANCE = OpsComparison.TOLERANCE;

  private SelfCheck() {}

  /**
   * {@link OpsComparison#compare} of {@code ops} against {@code reference}, with one progress line.
   *
   * @return one message per failure, empty when all agree
   */
  public static List<String> compareOps(Ops ops, Ops reference, Consumer<String> progress) {
    OpsComparison.Result result = OpsComparison.compare(ops, reference);
    progress.accept(
        String.format(
            Locale.ROOT,
            "self-check: %d kernel and cuBLAS cases against HostOps, %d failed",
            result.cases(),
            result.failures().size()));
    return result.failures();
  }

  /**
   * What {@link #device} found.
   *
   * @param failures wrong results (kernels, products, stream ordering) or failed calls: the run's
   *     numbers would be wrong, so it should not start
   * @param warnings measurement facilities that do not behave as documented (event times, pool
   *     attributes, cudaMemGetInfo): times and gradients stay valid, the memory columns may not
   */
  public record Report(List<String> failures, List<String> warnings) {
    public Report {
      failures = List.copyOf(failures);
      warnings = List.copyOf(warnings);
    }

    public boolean ok() {
      return failures.isEmpty();
    }
  }

  /**
   * {@link #compareOps} on a new stream of {@code device} against {@link HostOps}, then the
   * device's events, cross-stream ordering, memory pool and cudaMemGetInfo.
   */
  public static Report device(CudaDevice device, Consumer<String> progress) {
    CudaOps a = device.newStream();
    CudaOps b = device.newStream();
    List<String> failures = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    try {
      failures.addAll(compareOps(a, new HostOps(), progress));
      if (failures.isEmpty()) {
        try {
          streamsAndEvents(a, b, failures, warnings, progress);
          pool(device, a, warnings, progress);
        } catch (RuntimeException e) {
          failures.add("device checks: " + e.getMessage());
        }
      }
    } finally {
      try {
        device.releaseStream(a);
        device.releaseStream(b);
      } catch (RuntimeException e) {
        failures.add("releasing the self-check's streams: " + e.getMessage());
      }
    }
    return new Report(failures, warnings);
  }

  /**
   * A product long enough to be timed on stream a, an event, stream b waiting for it and copying
   * the product: the copy must see the product and b's event must not come before a's.
   */
  private static void streamsAndEvents(
      CudaOps a,
      CudaOps b,
      List<String> failures,
      List<String> warnings,
      Consumer<String> progress) {
    int n = 2048;
    float[] ones = new float[n * n];
    java.util.Arrays.fill(ones, 1f);
    Tensor x = a.upload(ones);
    Tensor y = a.alloc((long) n * n);
    Tensor copy = b.alloc((long) n * n);
    b.synchronize();
    CUevent_st start = CudaEvents.create();
    CUevent_st done = CudaEvents.create();
    CUevent_st seen = CudaEvents.create();
    try {
      a.record(start);
      for (int rep = 0; rep < 4; rep++) {
        a.matmul(false, false, n, n, n, x, x, 0f, y);
      }
      a.record(done);
      b.waitFor(done);
      b.copy(y, copy);
      b.record(seen);
      b.synchronize();
      a.synchronize();
      long work = CudaEvents.elapsedNanos(start, done);
      long gap = CudaEvents.elapsedNanos(done, seen);
      progress.accept(
          String.format(
              Locale.ROOT,
              "self-check: 4 products of %d x %d x %d in %.3f ms on one stream (%.1f TFLOP/s);"
                  + " the other stream's copy ended %.3f ms after",
              n,
              n,
              n,
              work / 1e6,
              4 * 2.0 * n * n * n / work / 1e3,
              gap / 1e6));
      if (work <= 0 || work > 10_000_000_000L) {
        warnings.add(
            "cudaEventElapsedTime: 4 products of "
                + n
                + "^3 took "
                + work
                + " ns between their events; expected between 0 and 10 s");
      }
      if (gap < -1_000) {
        warnings.add(
            "cudaStreamWaitEvent: the waiting stream's event completed "
                + (-gap)
                + " ns before the event it waited for");
      }
      float[] got = b.download(copy);
      for (int i = 0; i < got.length; i += 4099) {
        if (got[i] != n) {
          failures.add(
              "cudaStreamWaitEvent: stream b copied "
                  + got[i]
                  + " at element "
                  + i
                  + " of the product stream a made before its event; expected "
                  + n
                  + " (b did not wait, or the product is wrong)");
          break;
        }
      }
    } finally {
      // freed on b: the pipeline's pattern (made on one stream, used and freed on another)
      b.free(copy, y, x);
      b.synchronize();
      CudaEvents.destroy(start);
      CudaEvents.destroy(done);
      CudaEvents.destroy(seen);
    }
  }

  /** The pool keeps its memory, its high watermark resets and follows an allocation. */
  private static void pool(
      CudaDevice device, CudaOps a, List<String> failures, Consumer<String> progress) {
    // "failures" here are warnings: the pool's numbers feed the memory columns only
    long threshold = device.poolReleaseThreshold();
    if (threshold != -1L) {
      failures.add(
          "cudaMemPoolAttrReleaseThreshold reads back as "
              + Long.toUnsignedString(threshold)
              + ", not UINT64_MAX: the pool would release memory between iterations");
    }
    a.synchronize();
    device.resetPoolPeak();
    long before = device.poolUsedBytes();
    long bytes = 64L << 20;
    Tensor t = a.alloc(bytes / 4);
    a.zero(t);
    a.synchronize();
    long used = device.poolUsedBytes();
    long peak = device.poolPeakBytes();
    a.free(t);
    a.synchronize();
    long after = device.poolUsedBytes();
    long[] info = device.memoryInfo();
    progress.accept(
        String.format(
            Locale.ROOT,
            "self-check: pool used %.1f -> %.1f -> %.1f MiB around a 64 MiB buffer, peak %.1f MiB;"
                + " cudaMemGetInfo free %.2f of %.2f GiB",
            before / 1048576.0,
            used / 1048576.0,
            after / 1048576.0,
            peak / 1048576.0,
            info[0] / (double) (1L << 30),
            info[1] / (double) (1L << 30)));
    if (used - before < bytes) {
      failures.add(
          "cudaMemPoolAttrUsedMemCurrent grew by "
              + (used - before)
              + " bytes for a "
              + bytes
              + "-byte cudaMallocAsync");
    }
    if (peak < used) {
      failures.add(
          "cudaMemPoolAttrUsedMemHigh is "
              + peak
              + " after its reset and a "
              + bytes
              + "-byte allocation, below the "
              + used
              + " bytes in use");
    }
    if (after > before) {
      failures.add(
          "cudaFreeAsync: the pool still counts " + (after - before) + " bytes after the free");
    }
    if (info[1] <= 0 || info[0] <= 0 || info[0] > info[1]) {
      failures.add("cudaMemGetInfo: free " + info[0] + " and total " + info[1] + " bytes");
    }
  }
}
