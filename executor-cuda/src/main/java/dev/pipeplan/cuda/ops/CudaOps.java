package dev.pipeplan.cuda.ops;

import static dev.pipeplan.cuda.ops.CudaErrors.check;
import static dev.pipeplan.cuda.ops.CudaErrors.checkBlas;
import static dev.pipeplan.cuda.ops.CudaErrors.checkDriver;

import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import java.util.Objects;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * {@link Ops} on one CUDA stream of a {@link CudaDevice}: buffers from the device's stream-ordered
 * pool (cudaMallocAsync / cudaFreeAsync), products in cuBLAS (fp32, default math: no TF32) on the
 * stream's own handle, kernels launched from the PTX module with cuLaunchKernel. Everything is
 * asynchronous except {@link #download}.
 */
public final class CudaOps implements Ops {
  private static final int FLOAT_BYTES = 4;

  private final CudaDevice device;
  private final CUstream_st stream;
  private final cublasContext blas;

  CudaOps(CudaDevice device) {
    this.device = Objects.requireNonNull(device, "device");
    this.stream = new CUstream_st();
    check(
        cudart.cudaStreamCreateWithFlags(stream, cudart.cudaStreamNonBlocking),
        "cudaStreamCreateWithFlags");
    this.blas = new cublasContext();
    checkBlas(cublas.cublasCreate_v2(blas), "cublasCreate");
    checkBlas(cublas.cublasSetStream_v2(blas, stream), "cublasSetStream");
    checkBlas(cublas.cublasSetMathMode(blas, cublas.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
    // alpha and beta are host floats, read when cublasSgemm is called (the default, made explicit)
    checkBlas(
        cublas.cublasSetPointerMode_v2(blas, cublas.CUBLAS_POINTER_MODE_HOST),
        "cublasSetPointerMode");
  }

  /**
   * Whether every launch is followed by a synchronize that names the kernel (environment variable
   * PIPEPLAN_CUDA_SYNC=1 or system property pipeplan.cuda.sync=true): an asynchronous fault (an
   * illegal address) is then reported with the kernel that caused it instead of at the next
   * synchronize. Slow; for finding a fault, not for timing.
   */
  static final boolean SYNC_LAUNCHES =
      "1".equals(System.getenv("PIPEPLAN_CUDA_SYNC")) || Boolean.getBoolean("pipeplan.cuda.sync");

  /** A device buffer: its address and length in 4-byte elements. */
  static final class DeviceTensor implements Tensor {
    private final long address;
    private final long length;

    DeviceTensor(long address, long length) {
      this.address = address;
      this.length = length;
    }

    @Override
    public long length() {
      return length;
    }

    long address(long elementOffset) {
      return address + FLOAT_BYTES * elementOffset;
    }
  }

  public CUstream_st stream() {
    return stream;
  }

  public CudaDevice device() {
    return device;
  }

  @Override
  public Tensor alloc(long n) {
    Pointer p = new Pointer();
    check(
        cudart.cudaMallocAsync(p, Math.max(1, n) * FLOAT_BYTES, stream),
        "cudaMallocAsync(" + n + " floats)");
    return new DeviceTensor(p.address(), n);
  }

  @Override
  public Tensor zeros(long n) {
    Tensor t = alloc(n);
    zero(t);
    return t;
  }

  @Override
  public void free(Tensor... tensors) {
    for (Tensor t : tensors) {
      if (t != null) {
        check(cudart.cudaFreeAsync(new DevicePointer(dev(t).address), stream), "cudaFreeAsync");
      }
    }
  }

  @Override
  public Tensor upload(float[] values) {
    Tensor t = alloc(values.length);
    try (FloatPointer host = new FloatPointer(values)) {
      check(
          cudart.cudaMemcpyAsync(
              new DevicePointer(dev(t).address),
              host,
              (long) values.length * FLOAT_BYTES,
              cudart.cudaMemcpyHostToDevice,
              stream),
          "cudaMemcpyAsync(upload)");
      synchronize();
    }
    return t;
  }

  @Override
  public Tensor uploadInts(int[] values) {
    Tensor t = alloc(values.length);
    try (IntPointer host = new IntPointer(values)) {
      check(
          cudart.cudaMemcpyAsync(
              new DevicePointer(dev(t).address),
              host,
              (long) values.length * FLOAT_BYTES,
              cudart.cudaMemcpyHostToDevice,
              stream),
          "cudaMemcpyAsync(upload ints)");
      synchronize();
    }
    return t;
  }

  @Override
  public float[] download(Tensor tensor) {
    DeviceTensor t = dev(tensor);
    float[] out = new float[Math.toIntExact(t.length)];
    try (FloatPointer host = new FloatPointer(out.length)) {
      check(
          cudart.cudaMemcpyAsync(
              host,
              new DevicePointer(t.address),
              (long) out.length * FLOAT_BYTES,
              cudart.cudaMemcpyDeviceToHost,
              stream),
          "cudaMemcpyAsync(download)");
      synchronize();
      host.get(out);
    }
    return out;
  }

  @Override
  public void copy(Tensor src, Tensor dst) {
    check(
        cudart.cudaMemcpyAsync(
            new DevicePointer(dev(dst).address),
            new DevicePointer(dev(src).address),
            src.length() * FLOAT_BYTES,
            cudart.cudaMemcpyDeviceToDevice,
            stream),
        "cudaMemcpyAsync(copy)");
  }

  @Override
  public void zero(Tensor tensor) {
    check(
        cudart.cudaMemsetAsync(
            new DevicePointer(dev(tensor).address), 0, tensor.length() * FLOAT_BYTES, stream),
        "cudaMemsetAsync");
  }

  @Override
  public void gemm(
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
      int ldc) {
    CublasGemm g = CublasGemm.forRowMajor(transA, transB, rows, cols, k, lda, ldb, ldc);
    try (FloatPointer al = new FloatPointer(1);
        FloatPointer be = new FloatPointer(1);
        FloatPointer first = device(b, bOffset);
        FloatPointer second = device(a, aOffset);
        FloatPointer out = device(c, cOffset)) {
      al.put(0, alpha);
      be.put(0, beta);
      checkBlas(
          cublas.cublasSgemm_v2(
              blas,
              op(g.transFirst()),
              op(g.transSecond()),
              g.m(),
              g.n(),
              g.k(),
              al,
              first,
              g.ldFirst(),
              second,
              g.ldSecond(),
              be,
              out,
              g.ldc()),
          "cublasSgemm");
    }
    if (SYNC_LAUNCHES) {
      check(cudart.cudaStreamSynchronize(stream), "cublasSgemm (synchronized after its launch)");
    }
  }

  @Override
  public void gemmBatched(
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
      int batch) {
    CublasGemm g = CublasGemm.forRowMajor(transA, transB, rows, cols, k, lda, ldb, ldc);
    try (FloatPointer al = new FloatPointer(1);
        FloatPointer be = new FloatPointer(1);
        FloatPointer first = device(b, bOffset);
        FloatPointer second = device(a, aOffset);
        FloatPointer out = device(c, cOffset)) {
      al.put(0, alpha);
      be.put(0, beta);
      checkBlas(
          cublas.cublasSgemmStridedBatched(
              blas,
              op(g.transFirst()),
              op(g.transSecond()),
              g.m(),
              g.n(),
              g.k(),
              al,
              first,
              g.ldFirst(),
              strideB,
              second,
              g.ldSecond(),
              strideA,
              be,
              out,
              g.ldc(),
              strideC,
              batch),
          "cublasSgemmStridedBatched");
    }
    if (SYNC_LAUNCHES) {
      check(
          cudart.cudaStreamSynchronize(stream),
          "cublasSgemmStridedBatched (synchronized after its launch)");
    }
  }

  @Override
  public void launch(Kernel kernel, long work, Object... args) {
    kernel.checkArguments(args);
    device.checkThread("cuLaunchKernel(" + kernel.entry() + ")");
    KernelGeometry geometry = KernelGeometry.of(kernel.shape(), work);
    Pointer[] values = new Pointer[args.length];
    try {
      for (int i = 0; i < args.length; i++) {
        Object a = args[i];
        if (a instanceof Tensor) {
          values[i] = new LongPointer(1).put(0, dev((Tensor) a).address);
        } else if (a instanceof Integer) {
          values[i] = new IntPointer(1).put(0, (Integer) a);
        } else if (a instanceof Long) {
          values[i] = new LongPointer(1).put(0, (Long) a);
        } else {
          values[i] = new FloatPointer(1).put(0, (Float) a);
        }
      }
      try (PointerPointer<Pointer> params = new PointerPointer<>(values)) {
        checkDriver(
            cudart.cuLaunchKernel(
                device.function(kernel),
                geometry.gridX(),
                1,
                1,
                geometry.blockX(),
                1,
                1,
                0,
                stream,
                params,
                (PointerPointer<?>) null),
            "cuLaunchKernel(" + kernel.entry() + ")");
      }
      if (SYNC_LAUNCHES) {
        check(
            cudart.cudaStreamSynchronize(stream),
            "kernel " + kernel.entry() + " (synchronized after its launch)");
      }
    } finally {
      for (Pointer p : values) {
        if (p != null) {
          p.close();
        }
      }
    }
  }

  /** Waits for everything enqueued on this stream. */
  public void synchronize() {
    check(cudart.cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  }

  /** Records {@code event} on this stream. */
  public void record(CUevent_st event) {
    check(cudart.cudaEventRecord(event, stream), "cudaEventRecord");
  }

  /** Makes this stream's later work wait for {@code event}. */
  public void waitFor(CUevent_st event) {
    check(cudart.cudaStreamWaitEvent(stream, event, 0), "cudaStreamWaitEvent");
  }

  /** Destroys the cuBLAS handle and the stream; {@link CudaDevice#releaseStream} waits first. */
  void destroy() {
    cublas.cublasDestroy_v2(blas);
    cudart.cudaStreamDestroy(stream);
  }

  private static int op(boolean transpose) {
    return transpose ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N;
  }

  private static FloatPointer device(Tensor t, long elementOffset) {
    return new FloatPointer(new DevicePointer(dev(t).address(elementOffset)));
  }

  private static DeviceTensor dev(Tensor t) {
    Objects.requireNonNull(t, "tensor");
    if (!(t instanceof DeviceTensor)) {
      throw new IllegalArgumentException("not a device tensor: " + t.getClass().getSimpleName());
    }
    return (DeviceTensor) t;
  }
}
