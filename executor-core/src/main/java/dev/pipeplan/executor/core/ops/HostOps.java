package dev.pipeplan.executor.core.ops;

import java.util.Objects;

/**
 * {@link Ops} on the host in double precision, the reference every backend is tested against: every
 * kernel computed exactly as the CUDA source does, argument for argument, so that tests can check
 * the layers against finite differences and count leaked buffers without a GPU. Not for speed.
 */
public final class HostOps implements Ops {
  private static final double LAYER_NORM_EPS_FLOOR = 0;
  private static final double GELU_C = Math.sqrt(2 / Math.PI);
  private static final double GELU_K = 0.044715;

  private final java.util.concurrent.atomic.AtomicLong liveTensors =
      new java.util.concurrent.atomic.AtomicLong();

  /** A host buffer; int buffers hold their ids as exact doubles. */
  public static final class HostTensor implements Tensor {
    private final double[] data;
    private boolean freed;

    HostTensor(double[] data) {
      this.data = data;
    }

    @Override
    public long length() {
      return data.length;
    }

    /** The live values (tests read and perturb them). */
    public double[] data() {
      if (freed) {
        throw new IllegalStateException("tensor was freed");
      }
      return data;
    }
  }

  /** Buffers allocated and not yet freed. */
  public long liveTensors() {
    return liveTensors.get();
  }

  /** The double values of a host tensor. */
  public static double[] values(Tensor t) {
    return host(t).data();
  }

  @Override
  public Tensor alloc(long n) {
    return zeros(n);
  }

  @Override
  public Tensor zeros(long n) {
    liveTensors.incrementAndGet();
    return new HostTensor(new double[Math.toIntExact(n)]);
  }

  @Override
  public void free(Tensor... tensors) {
    for (Tensor t : tensors) {
      if (t != null) {
        HostTensor h = host(t);
        if (h.freed) {
          throw new IllegalStateException("tensor freed twice");
        }
        h.freed = true;
        liveTensors.decrementAndGet();
      }
    }
  }

  @Override
  public Tensor upload(float[] values) {
    HostTensor t = (HostTensor) zeros(values.length);
    for (int i = 0; i < values.length; i++) {
      t.data[i] = values[i];
    }
    return t;
  }

  /** A tensor holding these doubles exactly (tests). */
  public Tensor uploadDoubles(double[] values) {
    HostTensor t = (HostTensor) zeros(values.length);
    System.arraycopy(values, 0, t.data, 0, values.length);
    return t;
  }

  @Override
  public Tensor uploadInts(int[] values) {
    HostTensor t = (HostTensor) zeros(values.length);
    for (int i = 0; i < values.length; i++) {
      t.data[i] = values[i];
    }
    return t;
  }

  @Override
  public float[] download(Tensor tensor) {
    double[] d = host(tensor).data();
    float[] out = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      out[i] = (float) d[i];
    }
    return out;
  }

  @Override
  public double sum(Tensor tensor) {
    double s = 0;
    for (double v : host(tensor).data()) {
      s += v;
    }
    return s;
  }

  @Override
  public void copy(Tensor src, Tensor dst) {
    double[] s = host(src).data();
    System.arraycopy(s, 0, host(dst).data(), 0, s.length);
  }

  @Override
  public void zero(Tensor tensor) {
    java.util.Arrays.fill(host(tensor).data(), 0);
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
    gemmBatched(
        transA, transB, rows, cols, k, alpha, a, aOffset, lda, 0, b, bOffset, ldb, 0, beta, c,
        cOffset, ldc, 0, 1);
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
    Ops.checkLeadingDimensions(transA, transB, rows, cols, k, lda, ldb, ldc);
    double[] x = host(a).data();
    double[] y = host(b).data();
    double[] z = host(c).data();
    for (int item = 0; item < batch; item++) {
      long ao = aOffset + item * strideA;
      long bo = bOffset + item * strideB;
      long co = cOffset + item * strideC;
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          double s = 0;
          for (int p = 0; p < k; p++) {
            double av = x[(int) (ao + (transA ? (long) p * lda + i : (long) i * lda + p))];
            double bv = y[(int) (bo + (transB ? (long) j * ldb + p : (long) p * ldb + j))];
            s += av * bv;
          }
          int ci = (int) (co + (long) i * ldc + j);
          z[ci] = alpha * s + (beta == 0 ? 0 : beta * z[ci]);
        }
      }
    }
  }

  @Override
  public void launch(Kernel kernel, long work, Object... args) {
    kernel.checkArguments(args);
    Runnable host =
        switch (kernel) {
          case EMBEDDING_FORWARD ->
              () -> {
                double[] tokens = d(args[0]);
                double[] table = d(args[1]);
                double[] positions = d(args[2]);
                double[] out = d(args[3]);
                int rows = i(args[4]);
                int hidden = i(args[5]);
                int seq = i(args[6]);
                for (int r = 0; r < rows; r++) {
                  int token = (int) tokens[r];
                  for (int col = 0; col < hidden; col++) {
                    out[r * hidden + col] =
                        table[token * hidden + col] + positions[(r % seq) * hidden + col];
                  }
                }
              };
          case EMBEDDING_BACKWARD ->
              () -> {
                double[] tokens = d(args[0]);
                double[] dy = d(args[1]);
                double[] tokenGrad = d(args[2]);
                double[] positionGrad = d(args[3]);
                int rows = i(args[4]);
                int hidden = i(args[5]);
                int seq = i(args[6]);
                for (int r = 0; r < rows; r++) {
                  int token = (int) tokens[r];
                  for (int col = 0; col < hidden; col++) {
                    tokenGrad[token * hidden + col] += dy[r * hidden + col];
                    positionGrad[(r % seq) * hidden + col] += dy[r * hidden + col];
                  }
                }
              };
          case LAYERNORM_FORWARD ->
              () -> {
                double[] x = d(args[0]);
                double[] gain = d(args[1]);
                double[] shift = d(args[2]);
                double[] normalized = d(args[3]);
                double[] rstd = d(args[4]);
                double[] y = d(args[5]);
                int rows = i(args[6]);
                int n = i(args[7]);
                double eps = Math.max(LAYER_NORM_EPS_FLOOR, f(args[8]));
                for (int r = 0; r < rows; r++) {
                  double mean = 0;
                  for (int col = 0; col < n; col++) {
                    mean += x[r * n + col];
                  }
                  mean /= n;
                  double var = 0;
                  for (int col = 0; col < n; col++) {
                    double dv = x[r * n + col] - mean;
                    var += dv * dv;
                  }
                  double inv = 1 / Math.sqrt(var / n + eps);
                  rstd[r] = inv;
                  for (int col = 0; col < n; col++) {
                    double z = (x[r * n + col] - mean) * inv;
                    normalized[r * n + col] = z;
                    y[r * n + col] = z * gain[col] + shift[col];
                  }
                }
              };
          case LAYERNORM_BACKWARD ->
              () -> {
                double[] dy = d(args[0]);
                double[] gain = d(args[1]);
                double[] normalized = d(args[2]);
                double[] rstd = d(args[3]);
                double[] dx = d(args[4]);
                int rows = i(args[5]);
                int n = i(args[6]);
                boolean accumulate = i(args[7]) != 0;
                for (int r = 0; r < rows; r++) {
                  double sg = 0;
                  double sgz = 0;
                  for (int col = 0; col < n; col++) {
                    double g = dy[r * n + col] * gain[col];
                    sg += g;
                    sgz += g * normalized[r * n + col];
                  }
                  double meanG = sg / n;
                  double meanGz = sgz / n;
                  for (int col = 0; col < n; col++) {
                    double g = dy[r * n + col] * gain[col];
                    double v = rstd[r] * (g - meanG - normalized[r * n + col] * meanGz);
                    dx[r * n + col] = accumulate ? dx[r * n + col] + v : v;
                  }
                }
              };
          case ADD_COLUMN_SUMS ->
              () -> {
                double[] x = d(args[0]);
                double[] out = d(args[1]);
                int rows = i(args[2]);
                int cols = i(args[3]);
                for (int col = 0; col < cols; col++) {
                  double s = 0;
                  for (int r = 0; r < rows; r++) {
                    s += x[r * cols + col];
                  }
                  out[col] += s;
                }
              };
          case ADD_COLUMN_DOT_SUMS ->
              () -> {
                double[] x = d(args[0]);
                double[] y = d(args[1]);
                double[] out = d(args[2]);
                int rows = i(args[3]);
                int cols = i(args[4]);
                for (int col = 0; col < cols; col++) {
                  double s = 0;
                  for (int r = 0; r < rows; r++) {
                    s += x[r * cols + col] * y[r * cols + col];
                  }
                  out[col] += s;
                }
              };
          case ADD_BIAS ->
              () -> {
                double[] y = d(args[0]);
                double[] bias = d(args[1]);
                int rows = i(args[2]);
                int cols = i(args[3]);
                for (int idx = 0; idx < rows * cols; idx++) {
                  y[idx] += bias[idx % cols];
                }
              };
          case ADD ->
              () -> {
                double[] y = d(args[0]);
                double[] x = d(args[1]);
                long n = l(args[2]);
                for (int idx = 0; idx < n; idx++) {
                  y[idx] += x[idx];
                }
              };
          case GELU_FORWARD ->
              () -> {
                double[] u = d(args[0]);
                double[] out = d(args[1]);
                long n = l(args[2]);
                for (int idx = 0; idx < n; idx++) {
                  double x = u[idx];
                  double t = Math.tanh(GELU_C * (x + GELU_K * x * x * x));
                  out[idx] = 0.5 * x * (1 + t);
                }
              };
          case GELU_BACKWARD ->
              () -> {
                double[] u = d(args[0]);
                double[] grad = d(args[1]);
                long n = l(args[2]);
                for (int idx = 0; idx < n; idx++) {
                  double x = u[idx];
                  double t = Math.tanh(GELU_C * (x + GELU_K * x * x * x));
                  grad[idx] *=
                      0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * GELU_K * x * x);
                }
              };
          case SWIGLU_FORWARD ->
              () -> {
                double[] up = d(args[0]);
                double[] gate = d(args[1]);
                double[] out = d(args[2]);
                long n = l(args[3]);
                for (int idx = 0; idx < n; idx++) {
                  double g = gate[idx];
                  out[idx] = g * sigmoid(g) * up[idx];
                }
              };
          case SWIGLU_BACKWARD ->
              () -> {
                double[] up = d(args[0]);
                double[] gate = d(args[1]);
                double[] dOut = d(args[2]);
                double[] dUp = d(args[3]);
                double[] dGate = d(args[4]);
                long n = l(args[5]);
                for (int idx = 0; idx < n; idx++) {
                  double g = gate[idx];
                  double s = sigmoid(g);
                  double dv = dOut[idx];
                  dUp[idx] = dv * g * s;
                  dGate[idx] = dv * up[idx] * s * (1 + g * (1 - s));
                }
              };
          case CAUSAL_SOFTMAX ->
              () -> {
                double[] scores = d(args[0]);
                int rowsTotal = i(args[1]);
                int seq = i(args[2]);
                double scale = f(args[3]);
                for (int r = 0; r < rowsTotal; r++) {
                  int last = r % seq;
                  int base = r * seq;
                  double m = Double.NEGATIVE_INFINITY;
                  for (int j = 0; j <= last; j++) {
                    m = Math.max(m, scale * scores[base + j]);
                  }
                  double s = 0;
                  for (int j = 0; j <= last; j++) {
                    scores[base + j] = Math.exp(scale * scores[base + j] - m);
                    s += scores[base + j];
                  }
                  for (int j = 0; j < seq; j++) {
                    scores[base + j] = j <= last ? scores[base + j] / s : 0;
                  }
                }
              };
          case SOFTMAX_BACKWARD ->
              () -> {
                double[] p = d(args[0]);
                double[] dp = d(args[1]);
                int rowsTotal = i(args[2]);
                int seq = i(args[3]);
                double scale = f(args[4]);
                for (int r = 0; r < rowsTotal; r++) {
                  int base = r * seq;
                  double dot = 0;
                  for (int j = 0; j < seq; j++) {
                    dot += p[base + j] * dp[base + j];
                  }
                  for (int j = 0; j < seq; j++) {
                    dp[base + j] = scale * p[base + j] * (dp[base + j] - dot);
                  }
                }
              };
          case CROSS_ENTROPY ->
              () -> {
                double[] logits = d(args[0]);
                double[] labels = d(args[1]);
                double[] losses = d(args[2]);
                int rows = i(args[3]);
                int vocab = i(args[4]);
                double scale = f(args[5]);
                for (int r = 0; r < rows; r++) {
                  int base = r * vocab;
                  double m = Double.NEGATIVE_INFINITY;
                  for (int j = 0; j < vocab; j++) {
                    m = Math.max(m, logits[base + j]);
                  }
                  double s = 0;
                  for (int j = 0; j < vocab; j++) {
                    s += Math.exp(logits[base + j] - m);
                  }
                  int label = (int) labels[r];
                  losses[r] = -scale * (logits[base + label] - m - Math.log(s));
                  for (int j = 0; j < vocab; j++) {
                    double p = Math.exp(logits[base + j] - m) / s;
                    logits[base + j] = scale * (p - (j == label ? 1 : 0));
                  }
                }
              };
          case SGD_STEP ->
              () -> {
                double[] w = d(args[0]);
                double[] g = d(args[1]);
                double lr = f(args[2]);
                long n = l(args[3]);
                for (int idx = 0; idx < n; idx++) {
                  w[idx] -= lr * g[idx];
                }
              };
          case ADAM_STEP ->
              () -> {
                double[] w = d(args[0]);
                double[] g = d(args[1]);
                double[] m = d(args[2]);
                double[] v = d(args[3]);
                double lr = f(args[4]);
                double beta1 = f(args[5]);
                double beta2 = f(args[6]);
                double eps = f(args[7]);
                double c1 = f(args[8]);
                double c2 = f(args[9]);
                long n = l(args[10]);
                for (int idx = 0; idx < n; idx++) {
                  double gi = g[idx];
                  m[idx] = beta1 * m[idx] + (1 - beta1) * gi;
                  v[idx] = beta2 * v[idx] + (1 - beta2) * gi * gi;
                  w[idx] -= lr * (m[idx] / c1) / (Math.sqrt(v[idx] / c2) + eps);
                }
              };
          case TOKEN_EMBEDDING_FORWARD ->
              () -> {
                double[] tokens = d(args[0]);
                double[] table = d(args[1]);
                double[] out = d(args[2]);
                int rows = i(args[3]);
                int hidden = i(args[4]);
                for (int r = 0; r < rows; r++) {
                  int token = (int) tokens[r];
                  System.arraycopy(table, token * hidden, out, r * hidden, hidden);
                }
              };
          case TOKEN_EMBEDDING_BACKWARD ->
              () -> {
                double[] tokens = d(args[0]);
                double[] dy = d(args[1]);
                double[] tokenGrad = d(args[2]);
                int rows = i(args[3]);
                int hidden = i(args[4]);
                for (int r = 0; r < rows; r++) {
                  int token = (int) tokens[r];
                  for (int col = 0; col < hidden; col++) {
                    tokenGrad[token * hidden + col] += dy[r * hidden + col];
                  }
                }
              };
          case RMSNORM_FORWARD ->
              () -> {
                double[] x = d(args[0]);
                double[] gain = d(args[1]);
                double[] normalized = d(args[2]);
                double[] rstd = d(args[3]);
                double[] y = d(args[4]);
                int rows = i(args[5]);
                int n = i(args[6]);
                double eps = f(args[7]);
                for (int r = 0; r < rows; r++) {
                  double squares = 0;
                  for (int col = 0; col < n; col++) {
                    squares += x[r * n + col] * x[r * n + col];
                  }
                  double inv = 1 / Math.sqrt(squares / n + eps);
                  rstd[r] = inv;
                  for (int col = 0; col < n; col++) {
                    double z = x[r * n + col] * inv;
                    normalized[r * n + col] = z;
                    y[r * n + col] = z * gain[col];
                  }
                }
              };
          case RMSNORM_BACKWARD ->
              () -> {
                double[] dy = d(args[0]);
                double[] gain = d(args[1]);
                double[] normalized = d(args[2]);
                double[] rstd = d(args[3]);
                double[] dx = d(args[4]);
                int rows = i(args[5]);
                int n = i(args[6]);
                boolean accumulate = i(args[7]) != 0;
                for (int r = 0; r < rows; r++) {
                  double sgz = 0;
                  for (int col = 0; col < n; col++) {
                    sgz += dy[r * n + col] * gain[col] * normalized[r * n + col];
                  }
                  double meanGz = sgz / n;
                  for (int col = 0; col < n; col++) {
                    double g = dy[r * n + col] * gain[col];
                    double v = rstd[r] * (g - normalized[r * n + col] * meanGz);
                    dx[r * n + col] = accumulate ? dx[r * n + col] + v : v;
                  }
                }
              };
          case ROPE ->
              () -> {
                double[] x = d(args[0]);
                int rows = i(args[1]);
                int seq = i(args[2]);
                int heads = i(args[3]);
                int headDim = i(args[4]);
                double[][] cosSin = ropeTable(seq, headDim, f(args[5]), i(args[6]) != 0);
                int half = headDim / 2;
                for (int r = 0; r < rows; r++) {
                  int position = r % seq;
                  for (int h = 0; h < heads; h++) {
                    int base = (r * heads + h) * headDim;
                    for (int p = 0; p < half; p++) {
                      double c = cosSin[0][position * half + p];
                      double sn = cosSin[1][position * half + p];
                      double x1 = x[base + p];
                      double x2 = x[base + p + half];
                      x[base + p] = x1 * c - x2 * sn;
                      x[base + p + half] = x2 * c + x1 * sn;
                    }
                  }
                }
              };
        };
    host.run();
  }

  /**
   * The rotary embedding's cosines and sines by (position, pair), {@code [2][seq * headDim / 2]}:
   * pair p of position t turns by {@code t * theta^(-2p / headDim)} (negated for the inverse), as
   * Hugging Face's Llama computes its frequencies.
   */
  public static double[][] ropeTable(int seq, int headDim, double theta, boolean inverse) {
    int half = headDim / 2;
    double[][] out = new double[2][seq * half];
    for (int p = 0; p < half; p++) {
      double frequency = Math.pow(theta, -2.0 * p / headDim);
      for (int t = 0; t < seq; t++) {
        double angle = t * frequency;
        out[0][t * half + p] = Math.cos(angle);
        out[1][t * half + p] = inverse ? -Math.sin(angle) : Math.sin(angle);
      }
    }
    return out;
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  private static HostTensor host(Tensor t) {
    Objects.requireNonNull(t, "tensor");
    if (!(t instanceof HostTensor)) {
      throw new IllegalArgumentException("not a host tensor: " + t.getClass().getSimpleName());
    }
    return (HostTensor) t;
  }

  private static double[] d(Object o) {
    return host((Tensor) o).data();
  }

  private static int i(Object o) {
    return (Integer) o;
  }

  private static long l(Object o) {
    return (Long) o;
  }

  private static double f(Object o) {
    return (Float) o;
  }
}
