package dev.pipeplan.cuda.ops;

import static dev.pipeplan.cuda.ops.CudaErrors.check;

import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.global.cudart;

/**
 * CUDA events with timing: creation and the elapsed time between two recorded events in
 * nanoseconds.
 */
public final class CudaEvents {
  private CudaEvents() {}

  public static CUevent_st create() {
    CUevent_st e = new CUevent_st();
    check(cudart.cudaEventCreateWithFlags(e, cudart.cudaEventDefault), "cudaEventCreateWithFlags");
    return e;
  }

  /**
   * Nanoseconds from {@code start} to {@code end} (both recorded and complete; resolution about 0.5
   * us).
   */
  public static long elapsedNanos(CUevent_st start, CUevent_st end) {
    float[] ms = new float[1];
    check(cudart.cudaEventElapsedTime(ms, start, end), "cudaEventElapsedTime");
    return Math.round(ms[0] * 1e6);
  }

  public static void destroy(CUevent_st e) {
    if (e != null) {
      cudart.cudaEventDestroy(e);
    }
  }
}
