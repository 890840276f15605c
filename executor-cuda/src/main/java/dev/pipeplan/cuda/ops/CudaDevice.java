package dev.pipeplan.cuda.ops;

import static dev.pipeplan.cuda.ops.CudaErrors.check;
import static dev.pipeplan.cuda.ops.CudaErrors.checkDriver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmemPoolHandle_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
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

  private CudaDevice(int ordinal) {
    this.ordinal = ordinal;
    check(cudart.cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
    // the first runtime call that needs a context creates the primary one and makes it current on
    // this thread
    check(cudart.cudaFree(null), "cudaFree(null) (context creation)");
    checkDriver(cudart.cuInit(0), "cuInit");
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
      checkDriver(
          cudart.cuModuleLoadData(module, image), "cuModuleLoadData (JIT of the PTX kernels)");
    }
    for (Kernel k : Kernel.values()) {
      CUfunc_st f = new CUfunc_st();
      checkDriver(
          cudart.cuModuleGetFunction(f, module, k.entry()),
          "cuModuleGetFunction(" + k.entry() + ")");
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

  @Override
  public void close() {
    for (CudaOps s : streams) {
      s.destroy();
    }
    streams.clear();
    cudart.cuModuleUnload(module);
  }
}
