package dev.pipeplan.cuda.ops;

import static dev.pipeplan.cuda.ops.CudaErrors.check;
import static dev.pipeplan.cuda.ops.CudaErrors.checkDriver;

import dev.pipeplan.executor.core.ops.Kernel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmemPoolHandle_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * One GPU as the backend uses it: the primary context made current on the calling thread, the PTX
 * module with its kernels, the device's default memory pool (kept, not released between iterations)
 * and the streams made from it. Every call to the device happens on the thread that opened it (the
 * backend enqueues from one host thread).
 */
public final class CudaDevice implements AutoCloseable {
  private final int ordinal;
  private final CUmod_st module;
  private final Map<Kernel, CUfunc_st> functions = new EnumMap<>(Kernel.class);
  private final CUmemPoolHandle_st pool;
  private final List<CudaOps> streams = new ArrayList<>();
  private final String description;
  private final Thread owner;

  private CudaDevice(int ordinal) {
    this.ordinal = ordinal;
    this.owner = Thread.currentThread();
    checkDriver(cudart.cuInit(0), "cuInit");
    check(cudart.cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
    // the first runtime call that needs a context creates the primary one and makes it current on
    // this thread; the driver calls below (module, functions, launches) use that current context
    check(cudart.cudaFree(null), "cudaFree(null) (context creation)");
    CUctx_st current = new CUctx_st();
    checkDriver(cudart.cuCtxGetCurrent(current), "cuCtxGetCurrent");
    if (current.isNull()) {
      // the runtime should have made its primary context current; if not, do it with the driver
      int[] handle = new int[1];
      checkDriver(cudart.cuDeviceGet(handle, ordinal), "cuDeviceGet(" + ordinal + ")");
      CUctx_st primary = new CUctx_st();
      checkDriver(cudart.cuDevicePrimaryCtxRetain(primary, handle[0]), "cuDevicePrimaryCtxRetain");
      checkDriver(cudart.cuCtxSetCurrent(primary), "cuCtxSetCurrent(primary context)");
      checkDriver(cudart.cuCtxGetCurrent(current), "cuCtxGetCurrent");
      if (current.isNull()) {
        throw new CudaErrors.CudaException(
            "no CUDA context is current after cudaSetDevice("
                + ordinal
                + "), cudaFree(null) and cuCtxSetCurrent(primary): cuModuleLoadData and"
                + " cuLaunchKernel would fail");
      }
    }
    cudaDeviceProp prop = new cudaDeviceProp();
    check(cudart.cudaGetDeviceProperties(prop, ordinal), "cudaGetDeviceProperties");
    int[] driver = new int[1];
    int[] runtime = new int[1];
    cudart.cudaDriverGetVersion(driver);
    cudart.cudaRuntimeGetVersion(runtime);
    this.description =
        String.format(
            Locale.ROOT,
            "%s (sm_%d%d, %d SMs, %.1f GiB); CUDA driver %s, runtime %s",
            prop.name().getString().trim(),
            prop.major(),
            prop.minor(),
            prop.multiProcessorCount(),
            prop.totalGlobalMem() / (double) (1L << 30),
            CudaProbe.version(driver[0]),
            CudaProbe.version(runtime[0]));
    prop.close();

    byte[] ptx = (PtxKernels.text() + "\0").getBytes(StandardCharsets.US_ASCII);
    this.module = new CUmod_st();
    try (BytePointer image = new BytePointer(ptx)) {
      int code = cudart.cuModuleLoadData(module, image);
      if (code != 0) {
        checkDriver(code, "cuModuleLoadData (JIT of the PTX kernels)" + jitLog(image));
      }
    }
    for (Kernel k : Kernel.values()) {
      CUfunc_st f = new CUfunc_st();
      checkDriver(
          cudart.cuModuleGetFunction(f, module, k.entry()),
          "cuModuleGetFunction(" + k.entry() + ")");
      int[] threads = new int[1];
      checkDriver(
          cudart.cuFuncGetAttribute(threads, cudart.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f),
          "cuFuncGetAttribute(" + k.entry() + ", max threads per block)");
      if (threads[0] < KernelGeometry.THREADS) {
        throw new CudaErrors.CudaException(
            "kernel "
                + k.entry()
                + " can run at most "
                + threads[0]
                + " threads per block after the JIT; the backend launches "
                + KernelGeometry.THREADS);
      }
      functions.put(k, f);
    }
    this.pool = new CUmemPoolHandle_st();
    check(cudart.cudaDeviceGetDefaultMemPool(pool, ordinal), "cudaDeviceGetDefaultMemPool");
    try (LongPointer keepAll = new LongPointer(1)) {
      keepAll.put(0, -1L);
      check(
          cudart.cudaMemPoolSetAttribute(pool, cudart.cudaMemPoolAttrReleaseThreshold, keepAll),
          "cudaMemPoolSetAttribute(release threshold)");
    }
  }

  /**
   * The JIT's error log for a PTX image that failed to load, by loading it again with a log buffer
   * (cuModuleLoadDataEx); empty when the retry gives nothing.
   */
  private static String jitLog(BytePointer image) {
    int size = 16 * 1024;
    try (BytePointer log = new BytePointer(size);
        IntPointer options = new IntPointer(2);
        PointerPointer<Pointer> values = new PointerPointer<>(2)) {
      log.fill(0);
      options.put(0, cudart.CU_JIT_ERROR_LOG_BUFFER);
      options.put(1, cudart.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
      values.put(0, log);
      // the size option's value is the number itself, passed in the pointer slot
      values.put(1, new DevicePointer(size));
      CUmod_st retry = new CUmod_st();
      int code = cudart.cuModuleLoadDataEx(retry, image, 2, options, values);
      if (code == 0) {
        cudart.cuModuleUnload(retry);
        return "";
      }
      String text = log.getString().trim();
      return text.isEmpty() ? "" : "; JIT log: " + text;
    } catch (RuntimeException | LinkageError e) {
      return "";
    }
  }

  /**
   * Throws unless the calling thread is the one that opened the device: the primary context is
   * current only there, and the driver calls (cuLaunchKernel) need it.
   */
  void checkThread(String call) {
    if (Thread.currentThread() != owner) {
      throw new CudaErrors.CudaException(
          call
              + " was called on thread '"
              + Thread.currentThread().getName()
              + "', but the device was opened on thread '"
              + owner.getName()
              + "': every CUDA call must come from the opening thread (its context is current only"
              + " there)");
    }
  }

  /**
   * Opens device {@code ordinal} on this thread; throws {@link CudaErrors.CudaException} when it
   * cannot.
   */
  public static CudaDevice open(int ordinal) {
    CudaProbe.Result probe = CudaProbe.probe();
    if (!probe.available()) {
      throw new CudaErrors.CudaException(probe.reason());
    }
    return new CudaDevice(ordinal);
  }

  /** GPU name, compute capability, SMs, memory, driver and runtime versions. */
  public String description() {
    return description;
  }

  /** A new stream with its own cuBLAS handle; closed with the device. */
  public CudaOps newStream() {
    CudaOps ops = new CudaOps(this);
    streams.add(ops);
    return ops;
  }

  CUfunc_st function(Kernel k) {
    return functions.get(k);
  }

  /**
   * Waits for a stream made by {@link #newStream}, then destroys it and its cuBLAS handle (and the
   * handle's workspace). The buffers freed on it stay in the pool.
   */
  public void releaseStream(CudaOps stream) {
    if (streams.remove(stream)) {
      stream.synchronize();
      stream.destroy();
    }
  }

  /** Streams made and not released (tests). */
  public int openStreams() {
    return streams.size();
  }

  /** The pool's release threshold in bytes (-1: keep everything, UINT64_MAX). */
  public long poolReleaseThreshold() {
    return poolAttribute(cudart.cudaMemPoolAttrReleaseThreshold);
  }

  /** Waits for all work on the device. */
  public void synchronize() {
    check(cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  }

  /** {free, total} bytes of device memory (cudaMemGetInfo). */
  public long[] memoryInfo() {
    try (SizeTPointer free = new SizeTPointer(1);
        SizeTPointer total = new SizeTPointer(1)) {
      check(cudart.cudaMemGetInfo(free, total), "cudaMemGetInfo");
      return new long[] {free.get(0), total.get(0)};
    }
  }

  /** Bytes in use by allocations from the pool now. */
  public long poolUsedBytes() {
    return poolAttribute(cudart.cudaMemPoolAttrUsedMemCurrent);
  }

  /** The most bytes in use from the pool since the last {@link #resetPoolPeak()}. */
  public long poolPeakBytes() {
    return poolAttribute(cudart.cudaMemPoolAttrUsedMemHigh);
  }

  /** Restarts the pool's high watermark from its current use. */
  public void resetPoolPeak() {
    try (LongPointer zero = new LongPointer(1)) {
      zero.put(0, 0L);
      check(
          cudart.cudaMemPoolSetAttribute(pool, cudart.cudaMemPoolAttrUsedMemHigh, zero),
          "cudaMemPoolSetAttribute(used high)");
    }
  }

  private long poolAttribute(int attribute) {
    try (LongPointer value = new LongPointer(1)) {
      check(
          cudart.cudaMemPoolGetAttribute(pool, attribute, value),
          "cudaMemPoolGetAttribute(" + attribute + ")");
      return value.get(0);
    }
  }

  public int ordinal() {
    return ordinal;
  }

  /** Waits for the device (ignoring a failure, which the caller has already met), then frees. */
  @Override
  public void close() {
    cudart.cudaDeviceSynchronize();
    for (CudaOps s : streams) {
      s.destroy();
    }
    streams.clear();
    cudart.cuModuleUnload(module);
  }
}
