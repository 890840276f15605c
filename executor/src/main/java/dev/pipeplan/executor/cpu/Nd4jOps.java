package dev.pipeplan.executor.cpu;

import dev.pipeplan.executor.core.ops.HostOps;
import dev.pipeplan.executor.core.ops.Kernel;
import dev.pipeplan.executor.core.ops.Ops;
import dev.pipeplan.executor.core.ops.Tensor;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Ops} on nd4j-native: every buffer a flat nd4j array in native memory, products through the
 * BLAS that nd4j itself calls (OpenBLAS's row-major {@code cblas_sgemm}, which takes offsets and
 * leading dimensions as they are), and the kernels of {@link Kernel} as plain loops over the
 * buffers, in fp32 with double accumulators, as the CUDA source computes them. Work runs at once on
 * the calling thread, so {@link #download} never waits; the instance holds no state but its count
 * of live buffers, so pipeline workers share one, each working on its own buffers.
 */
public final class Nd4jOps implements Ops {
  private final AtomicLong liveTensors = new AtomicLong();

  /** A native buffer of floats, or of int32 ids. */
  static final class Nd4jTensor implements Tensor {
    private final long length;
    private final INDArray array;
    private final FloatPointer floatPointer;
    private final FloatBuffer floats;
    private final IntBuffer ints;
    private boolean freed;

    private Nd4jTensor(long length, boolean integer) {
      this.length = length;
      int n = Math.toIntExact(Math.max(1, length));
      this.array = Nd4j.createUninitialized(integer ? DataType.INT : DataType.FLOAT, n);
      if (integer) {
        IntPointer p = new IntPointer(array.data().addressPointer());
        p.position(0).limit(n).capacity(n);
        this.floatPointer = null;
        this.floats = null;
        this.ints = p.asBuffer();
      } else {
        FloatPointer p = new FloatPointer(array.data().addressPointer());
        p.position(0).limit(n).capacity(n);
        this.floatPointer = p;
        this.floats = p.asBuffer();
        this.ints = null;
      }
    }

    @Override
    public long length() {
      return length;
    }

    /** The id at {@code i} (an int buffer's value, or a float buffer's value truncated). */
    int id(int i) {
      return ints != null ? ints.get(i) : (int) floats().get(i);
    }

    FloatBuffer floats() {
      live();
      if (floats == null) {
        throw new IllegalArgumentException("an int32 buffer where floats are expected");
      }
      return floats;
    }

    /** A pointer to element {@code offset} of a float buffer, for BLAS. */
    FloatPointer at(long offset) {
      floats();
      return new FloatPointer(floatPointer).position(offset);
    }

    private void live() {
      if (freed) {
        throw new IllegalStateException("tensor was freed");
      }
    }
  }

  /** Buffers allocated and not yet freed. */
  public long liveTensors() {
    return liveTensors.get();
  }

  @Override
  public Tensor alloc(long n) {
    if (n < 0) {
      throw new IllegalArgumentException("buffer length must be >= 0, got " + n);
    }
    liveTensors.incrementAndGet();
    return new Nd4jTensor(n, false);
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
        Nd4jTensor h = nd4j(t);
        if (h.freed) {
          throw new IllegalStateException("tensor freed twice");
        }
        h.freed = true;
        h.array.close();
        liveTensors.decrementAndGet();
      }
    }
  }

  @Override
  public Tensor upload(float[] values) {
    Nd4jTensor t = (Nd4jTensor) alloc(values.length);
    FloatBuffer f = t.floats().duplicate();
    f.clear();
    f.put(values);
    return t;
  }

  @Override
  public Tensor uploadInts(int[] values) {
    liveTensors.incrementAndGet();
    Nd4jTensor t = new Nd4jTensor(values.length, true);
    IntBuffer b = t.ints.duplicate();
    b.clear();
    b.put(values);
    return t;
  }

  @Override
  public float[] download(Tensor tensor) {
    Nd4jTensor t = nd4j(tensor);
    int n = Math.toIntExact(t.length);
    float[] out = new float[n];
    if (t.ints != null) {
      t.live();
      for (int i = 0; i < n; i++) {
        out[i] = t.ints.get(i);
      }
    } else {
      FloatBuffer f = t.floats().duplicate();
      f.clear();
      f.get(out);
    }
    return out;
  }

  @Override
  public double sum(Tensor tensor) {
    Nd4jTensor t = nd4j(tensor);
    FloatBuffer f = t.floats();
    double s = 0;
    for (int i = 0; i < t.length; i++) {
      s += f.get(i);
    }
    return s;
  }

  @Override
  public void copy(Tensor src, Tensor dst) {
    Nd4jTensor s = nd4j(src);
    Nd4jTensor d = nd4j(dst);
    if (s.length > d.length) {
      throw new IllegalArgumentException(
          "cannot copy " + s.length + " values into a buffer of " + d.length);
    }
    FloatBuffer from = s.floats().duplicate();
    from.clear();
    from.limit(Math.toIntExact(s.length));
    FloatBuffer to = d.floats().duplicate();
    to.clear();
    to.put(from);
  }

  @Override
  public void zero(Tensor tensor) {
    Nd4jTensor t = nd4j(tensor);
    t.live();
    t.array.assign(0);
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
    Ops.checkLeadingDimensions(transA, transB, rows, cols, k, lda, ldb, ldc);
    Nd4jTensor x = nd4j(a);
    Nd4jTensor y = nd4j(b);
    Nd4jTensor z = nd4j(c);
    checkExtent("A", x, aOffset, transA ? k : rows, transA ? rows : k, lda);
    checkExtent("B", y, bOffset, transB ? cols : k, transB ? k : cols, ldb);
    checkExtent("C", z, cOffset, rows, cols, ldc);
    if (rows == 0 || cols == 0) {
      return;
    }
    openblas_nolapack.cblas_sgemm(
        openblas_nolapack.CblasRowMajor,
        transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
        transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
        rows,
        cols,
        k,
        alpha,
        x.at(aOffset),
        lda,
        y.at(bOffset),
        ldb,
        beta,
        z.at(cOffset),
        ldc);
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
    if (batch < 0) {
      throw new IllegalArgumentException("batch must be >= 0, got " + batch);
    }
    for (int item = 0; item < batch; item++) {
      gemm(
          transA,
          transB,
          rows,
          cols,
          k,
          alpha,
          a,
          aOffset + item * strideA,
          lda,
          b,
          bOffset + item * strideB,
          ldb,
          beta,
          c,
          cOffset + item * strideC,
          ldc);
    }
  }

  /** Throws unless a {@code rows x cols} matrix at {@code offset}, rows {@code ld} apart, fits. */
  private static void checkExtent(
      String operand, Nd4jTensor t, long offset, int rows, int cols, int ld) {
    if (offset < 0) {
      throw new IllegalArgumentException(operand + " offset must be >= 0, got " + offset);
    }
    if (rows <= 0 || cols <= 0) {
      return;
    }
    long last = offset + (long) (rows - 1) * ld + cols - 1;
    if (last >= t.length) {
      throw new IllegalArgumentException(
          operand
              + " of "
              + rows
              + " x "
              + cols
              + " at offset "
              + offset
              + " with leading dimension "
              + ld
              + " ends at element "
              + last
              + ", past its buffer of "
              + t.length);
    }
  }

  @Override
  public void launch(Kernel kernel, long work, Object... args) {
    kernel.checkArguments(args);
    Runnable body =
        switch (kernel) {
          case EMBEDDING_FORWARD -> () -> embeddingForward(args);
          case EMBEDDING_BACKWARD -> () -> embeddingBackward(args);
          case LAYERNORM_FORWARD -> () -> layerNormForward(args);
          case LAYERNORM_BACKWARD -> () -> layerNormBackward(args);
          case ADD_COLUMN_SUMS -> () -> addColumnSums(args);
          case ADD_COLUMN_DOT_SUMS -> () -> addColumnDotSums(args);
          case ADD_BIAS -> () -> addBias(args);
          case ADD -> () -> add(args);
          case GELU_FORWARD -> () -> geluForward(args);
          case GELU_BACKWARD -> () -> geluBackward(args);
          case SWIGLU_FORWARD -> () -> swigluForward(args);
          case SWIGLU_BACKWARD -> () -> swigluBackward(args);
          case CAUSAL_SOFTMAX -> () -> causalSoftmax(args);
          case SOFTMAX_BACKWARD -> () -> softmaxBackward(args);
          case CROSS_ENTROPY -> () -> crossEntropy(args);
          case SGD_STEP -> () -> sgdStep(args);
          case ADAM_STEP -> () -> adamStep(args);
          case TOKEN_EMBEDDING_FORWARD -> () -> tokenEmbeddingForward(args);
          case TOKEN_EMBEDDING_BACKWARD -> () -> tokenEmbeddingBackward(args);
          case RMSNORM_FORWARD -> () -> rmsNormForward(args);
          case RMSNORM_BACKWARD -> () -> rmsNormBackward(args);
          case ROPE -> () -> rope(args);
        };
    body.run();
  }

  private static final double GELU_C = Math.sqrt(2 / Math.PI);
  private static final double GELU_K = 0.044715;

  private static void embeddingForward(Object[] args) {
    Nd4jTensor tokens = nd4j(args[0]);
    FloatBuffer table = f(args[1]);
    FloatBuffer positions = f(args[2]);
    FloatBuffer out = f(args[3]);
    int rows = i(args[4]);
    int hidden = i(args[5]);
    int seq = i(args[6]);
    for (int r = 0; r < rows; r++) {
      int token = tokens.id(r);
      int position = r % seq;
      for (int col = 0; col < hidden; col++) {
        out.put(
            r * hidden + col,
            table.get(token * hidden + col) + positions.get(position * hidden + col));
      }
    }
  }

  private static void embeddingBackward(Object[] args) {
    Nd4jTensor tokens = nd4j(args[0]);
    FloatBuffer dy = f(args[1]);
    FloatBuffer tokenGrad = f(args[2]);
    FloatBuffer positionGrad = f(args[3]);
    int rows = i(args[4]);
    int hidden = i(args[5]);
    int seq = i(args[6]);
    for (int r = 0; r < rows; r++) {
      int token = tokens.id(r);
      int position = r % seq;
      for (int col = 0; col < hidden; col++) {
        float g = dy.get(r * hidden + col);
        int ti = token * hidden + col;
        tokenGrad.put(ti, tokenGrad.get(ti) + g);
        int pi = position * hidden + col;
        positionGrad.put(pi, positionGrad.get(pi) + g);
      }
    }
  }

  private static void tokenEmbeddingForward(Object[] args) {
    Nd4jTensor tokens = nd4j(args[0]);
    FloatBuffer table = f(args[1]);
    FloatBuffer out = f(args[2]);
    int rows = i(args[3]);
    int hidden = i(args[4]);
    float[] row = new float[hidden];
    for (int r = 0; r < rows; r++) {
      read(table, tokens.id(r) * hidden, row);
      write(out, r * hidden, row);
    }
  }

  private static void tokenEmbeddingBackward(Object[] args) {
    Nd4jTensor tokens = nd4j(args[0]);
    FloatBuffer dy = f(args[1]);
    FloatBuffer tokenGrad = f(args[2]);
    int rows = i(args[3]);
    int hidden = i(args[4]);
    for (int r = 0; r < rows; r++) {
      int token = tokens.id(r);
      for (int col = 0; col < hidden; col++) {
        int ti = token * hidden + col;
        tokenGrad.put(ti, tokenGrad.get(ti) + dy.get(r * hidden + col));
      }
    }
  }

  private static void rmsNormForward(Object[] args) {
    FloatBuffer x = f(args[0]);
    FloatBuffer gain = f(args[1]);
    FloatBuffer normalized = f(args[2]);
    FloatBuffer rstd = f(args[3]);
    FloatBuffer y = f(args[4]);
    int rows = i(args[5]);
    int n = i(args[6]);
    double eps = fl(args[7]);
    float[] g = row(gain, 0, n);
    float[] in = new float[n];
    float[] z = new float[n];
    float[] out = new float[n];
    for (int r = 0; r < rows; r++) {
      int base = r * n;
      read(x, base, in);
      double squares = 0;
      for (int col = 0; col < n; col++) {
        squares += (double) in[col] * in[col];
      }
      double inv = 1 / Math.sqrt(squares / n + eps);
      rstd.put(r, (float) inv);
      for (int col = 0; col < n; col++) {
        double zc = in[col] * inv;
        z[col] = (float) zc;
        out[col] = (float) (zc * g[col]);
      }
      write(normalized, base, z);
      write(y, base, out);
    }
  }

  private static void rmsNormBackward(Object[] args) {
    FloatBuffer dy = f(args[0]);
    FloatBuffer gain = f(args[1]);
    FloatBuffer normalized = f(args[2]);
    FloatBuffer rstd = f(args[3]);
    FloatBuffer dx = f(args[4]);
    int rows = i(args[5]);
    int n = i(args[6]);
    boolean accumulate = i(args[7]) != 0;
    float[] gn = row(gain, 0, n);
    float[] d = new float[n];
    float[] z = new float[n];
    float[] out = new float[n];
    for (int r = 0; r < rows; r++) {
      int base = r * n;
      read(dy, base, d);
      read(normalized, base, z);
      if (accumulate) {
        read(dx, base, out);
      }
      double sumGz = 0;
      for (int col = 0; col < n; col++) {
        sumGz += (double) d[col] * gn[col] * z[col];
      }
      double meanGz = sumGz / n;
      double inv = rstd.get(r);
      for (int col = 0; col < n; col++) {
        double v = inv * ((double) d[col] * gn[col] - z[col] * meanGz);
        out[col] = (float) (accumulate ? out[col] + v : v);
      }
      write(dx, base, out);
    }
  }

  /**
   * In place: each head's pair (p, p + d/2) of row r turned by the angles of position r mod seq.
   */
  private static void rope(Object[] args) {
    FloatBuffer x = f(args[0]);
    int rows = i(args[1]);
    int seq = i(args[2]);
    int heads = i(args[3]);
    int headDim = i(args[4]);
    double[][] cosSin = HostOps.ropeTable(seq, headDim, fl(args[5]), i(args[6]) != 0);
    int half = headDim / 2;
    float[] row = new float[heads * headDim];
    for (int r = 0; r < rows; r++) {
      int position = r % seq;
      int base = r * heads * headDim;
      read(x, base, row);
      for (int h = 0; h < heads; h++) {
        int head = h * headDim;
        for (int p = 0; p < half; p++) {
          double c = cosSin[0][position * half + p];
          double sn = cosSin[1][position * half + p];
          double x1 = row[head + p];
          double x2 = row[head + p + half];
          row[head + p] = (float) (x1 * c - x2 * sn);
          row[head + p + half] = (float) (x2 * c + x1 * sn);
        }
      }
      write(x, base, row);
    }
  }

  private static void layerNormForward(Object[] args) {
    FloatBuffer x = f(args[0]);
    FloatBuffer gain = f(args[1]);
    FloatBuffer shift = f(args[2]);
    FloatBuffer normalized = f(args[3]);
    FloatBuffer rstd = f(args[4]);
    FloatBuffer y = f(args[5]);
    int rows = i(args[6]);
    int n = i(args[7]);
    double eps = fl(args[8]);
    float[] g = row(gain, 0, n);
    float[] b = row(shift, 0, n);
    float[] in = new float[n];
    float[] z = new float[n];
    float[] out = new float[n];
    for (int r = 0; r < rows; r++) {
      int base = r * n;
      read(x, base, in);
      double mean = 0;
      for (int col = 0; col < n; col++) {
        mean += in[col];
      }
      mean /= n;
      double var = 0;
      for (int col = 0; col < n; col++) {
        double d = in[col] - mean;
        var += d * d;
      }
      double inv = 1 / Math.sqrt(var / n + eps);
      rstd.put(r, (float) inv);
      for (int col = 0; col < n; col++) {
        double zc = (in[col] - mean) * inv;
        z[col] = (float) zc;
        out[col] = (float) (zc * g[col] + b[col]);
      }
      write(normalized, base, z);
      write(y, base, out);
    }
  }

  private static void layerNormBackward(Object[] args) {
    FloatBuffer dy = f(args[0]);
    FloatBuffer gain = f(args[1]);
    FloatBuffer normalized = f(args[2]);
    FloatBuffer rstd = f(args[3]);
    FloatBuffer dx = f(args[4]);
    int rows = i(args[5]);
    int n = i(args[6]);
    boolean accumulate = i(args[7]) != 0;
    float[] gn = row(gain, 0, n);
    float[] d = new float[n];
    float[] z = new float[n];
    float[] out = new float[n];
    for (int r = 0; r < rows; r++) {
      int base = r * n;
      read(dy, base, d);
      read(normalized, base, z);
      if (accumulate) {
        read(dx, base, out);
      }
      double sumG = 0;
      double sumGz = 0;
      for (int col = 0; col < n; col++) {
        double g = (double) d[col] * gn[col];
        sumG += g;
        sumGz += g * z[col];
      }
      double meanG = sumG / n;
      double meanGz = sumGz / n;
      double inv = rstd.get(r);
      for (int col = 0; col < n; col++) {
        double g = (double) d[col] * gn[col];
        double v = inv * (g - meanG - z[col] * meanGz);
        out[col] = (float) (accumulate ? out[col] + v : v);
      }
      write(dx, base, out);
    }
  }

  private static void addColumnSums(Object[] args) {
    FloatBuffer x = f(args[0]);
    FloatBuffer out = f(args[1]);
    int rows = i(args[2]);
    int cols = i(args[3]);
    double[] sums = new double[cols];
    float[] in = new float[cols];
    for (int r = 0; r < rows; r++) {
      read(x, r * cols, in);
      for (int col = 0; col < cols; col++) {
        sums[col] += in[col];
      }
    }
    for (int col = 0; col < cols; col++) {
      out.put(col, (float) (out.get(col) + sums[col]));
    }
  }

  private static void addColumnDotSums(Object[] args) {
    FloatBuffer x = f(args[0]);
    FloatBuffer y = f(args[1]);
    FloatBuffer out = f(args[2]);
    int rows = i(args[3]);
    int cols = i(args[4]);
    double[] sums = new double[cols];
    float[] a = new float[cols];
    float[] b = new float[cols];
    for (int r = 0; r < rows; r++) {
      read(x, r * cols, a);
      read(y, r * cols, b);
      for (int col = 0; col < cols; col++) {
        sums[col] += (double) a[col] * b[col];
      }
    }
    for (int col = 0; col < cols; col++) {
      out.put(col, (float) (out.get(col) + sums[col]));
    }
  }

  private static void addBias(Object[] args) {
    FloatBuffer y = f(args[0]);
    FloatBuffer bias = f(args[1]);
    int rows = i(args[2]);
    int cols = i(args[3]);
    for (int r = 0; r < rows; r++) {
      for (int col = 0; col < cols; col++) {
        int idx = r * cols + col;
        y.put(idx, y.get(idx) + bias.get(col));
      }
    }
  }

  private static void add(Object[] args) {
    FloatBuffer y = f(args[0]);
    FloatBuffer x = f(args[1]);
    int n = Math.toIntExact(l(args[2]));
    for (int idx = 0; idx < n; idx++) {
      y.put(idx, y.get(idx) + x.get(idx));
    }
  }

  private static void geluForward(Object[] args) {
    FloatBuffer u = f(args[0]);
    FloatBuffer out = f(args[1]);
    int n = Math.toIntExact(l(args[2]));
    for (int idx = 0; idx < n; idx++) {
      double x = u.get(idx);
      double t = tanh(GELU_C * (x + GELU_K * x * x * x));
      out.put(idx, (float) (0.5 * x * (1 + t)));
    }
  }

  private static void geluBackward(Object[] args) {
    FloatBuffer u = f(args[0]);
    FloatBuffer grad = f(args[1]);
    int n = Math.toIntExact(l(args[2]));
    for (int idx = 0; idx < n; idx++) {
      double x = u.get(idx);
      double t = tanh(GELU_C * (x + GELU_K * x * x * x));
      double derivative = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * GELU_K * x * x);
      grad.put(idx, (float) (grad.get(idx) * derivative));
    }
  }

  private static void swigluForward(Object[] args) {
    FloatBuffer up = f(args[0]);
    FloatBuffer gate = f(args[1]);
    FloatBuffer out = f(args[2]);
    int n = Math.toIntExact(l(args[3]));
    for (int idx = 0; idx < n; idx++) {
      double g = gate.get(idx);
      out.put(idx, (float) (g * sigmoid(g) * up.get(idx)));
    }
  }

  private static void swigluBackward(Object[] args) {
    FloatBuffer up = f(args[0]);
    FloatBuffer gate = f(args[1]);
    FloatBuffer dOut = f(args[2]);
    FloatBuffer dUp = f(args[3]);
    FloatBuffer dGate = f(args[4]);
    int n = Math.toIntExact(l(args[5]));
    for (int idx = 0; idx < n; idx++) {
      double g = gate.get(idx);
      double s = sigmoid(g);
      double d = dOut.get(idx);
      dUp.put(idx, (float) (d * g * s));
      dGate.put(idx, (float) (d * up.get(idx) * s * (1 + g * (1 - s))));
    }
  }

  private static void causalSoftmax(Object[] args) {
    FloatBuffer scores = f(args[0]);
    int rowsTotal = i(args[1]);
    int seq = i(args[2]);
    double scale = fl(args[3]);
    float[] row = new float[seq];
    double[] e = new double[seq];
    for (int r = 0; r < rowsTotal; r++) {
      int last = r % seq;
      int base = r * seq;
      read(scores, base, row);
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j <= last; j++) {
        max = Math.max(max, scale * row[j]);
      }
      double sum = 0;
      for (int j = 0; j <= last; j++) {
        e[j] = Math.exp(scale * row[j] - max);
        sum += e[j];
      }
      for (int j = 0; j < seq; j++) {
        row[j] = j <= last ? (float) (e[j] / sum) : 0f;
      }
      write(scores, base, row);
    }
  }

  private static void softmaxBackward(Object[] args) {
    FloatBuffer p = f(args[0]);
    FloatBuffer dp = f(args[1]);
    int rowsTotal = i(args[2]);
    int seq = i(args[3]);
    double scale = fl(args[4]);
    float[] pr = new float[seq];
    float[] dr = new float[seq];
    for (int r = 0; r < rowsTotal; r++) {
      int base = r * seq;
      read(p, base, pr);
      read(dp, base, dr);
      double dot = 0;
      for (int j = 0; j < seq; j++) {
        dot += (double) pr[j] * dr[j];
      }
      for (int j = 0; j < seq; j++) {
        dr[j] = (float) (scale * pr[j] * (dr[j] - dot));
      }
      write(dp, base, dr);
    }
  }

  private static void crossEntropy(Object[] args) {
    FloatBuffer logits = f(args[0]);
    Nd4jTensor labels = nd4j(args[1]);
    FloatBuffer losses = f(args[2]);
    int rows = i(args[3]);
    int vocab = i(args[4]);
    double scale = fl(args[5]);
    float[] row = new float[vocab];
    double[] e = new double[vocab];
    for (int r = 0; r < rows; r++) {
      int base = r * vocab;
      read(logits, base, row);
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < vocab; j++) {
        max = Math.max(max, row[j]);
      }
      double sum = 0;
      for (int j = 0; j < vocab; j++) {
        e[j] = Math.exp(row[j] - max);
        sum += e[j];
      }
      int label = labels.id(r);
      losses.put(r, (float) (-scale * (row[label] - max - Math.log(sum))));
      for (int j = 0; j < vocab; j++) {
        row[j] = (float) (scale * (e[j] / sum - (j == label ? 1 : 0)));
      }
      write(logits, base, row);
    }
  }

  private static void sgdStep(Object[] args) {
    FloatBuffer w = f(args[0]);
    FloatBuffer g = f(args[1]);
    double lr = fl(args[2]);
    int n = Math.toIntExact(l(args[3]));
    for (int idx = 0; idx < n; idx++) {
      w.put(idx, (float) (w.get(idx) - lr * g.get(idx)));
    }
  }

  private static void adamStep(Object[] args) {
    FloatBuffer w = f(args[0]);
    FloatBuffer g = f(args[1]);
    FloatBuffer m = f(args[2]);
    FloatBuffer v = f(args[3]);
    double lr = fl(args[4]);
    double beta1 = fl(args[5]);
    double beta2 = fl(args[6]);
    double eps = fl(args[7]);
    double c1 = fl(args[8]);
    double c2 = fl(args[9]);
    int n = Math.toIntExact(l(args[10]));
    for (int idx = 0; idx < n; idx++) {
      double gi = g.get(idx);
      double mi = beta1 * m.get(idx) + (1 - beta1) * gi;
      double vi = beta2 * v.get(idx) + (1 - beta2) * gi * gi;
      m.put(idx, (float) mi);
      v.put(idx, (float) vi);
      w.put(idx, (float) (w.get(idx) - lr * (mi / c1) / (Math.sqrt(vi / c2) + eps)));
    }
  }

  /** tanh through {@link Math#exp} (a JIT intrinsic; {@link Math#tanh} is not), exact to 1e-16. */
  private static double tanh(double x) {
    if (x > 20) {
      return 1;
    }
    if (x < -20) {
      return -1;
    }
    return 1 - 2 / (1 + Math.exp(2 * x));
  }

  /** {@code values.length} floats of {@code buffer} from {@code offset}, in one bulk copy. */
  private static void read(FloatBuffer buffer, int offset, float[] values) {
    buffer.duplicate().position(offset).get(values);
  }

  private static void write(FloatBuffer buffer, int offset, float[] values) {
    buffer.duplicate().position(offset).put(values);
  }

  private static float[] row(FloatBuffer buffer, int offset, int n) {
    float[] out = new float[n];
    read(buffer, offset, out);
    return out;
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  private static Nd4jTensor nd4j(Object t) {
    Objects.requireNonNull(t, "tensor");
    if (!(t instanceof Nd4jTensor)) {
      throw new IllegalArgumentException("not an nd4j tensor: " + t.getClass().getSimpleName());
    }
    return (Nd4jTensor) t;
  }

  private static FloatBuffer f(Object o) {
    return nd4j(o).floats();
  }

  private static int i(Object o) {
    return (Integer) o;
  }

  private static long l(Object o) {
    return (Long) o;
  }

  private static double fl(Object o) {
    return (Float) o;
  }
}
