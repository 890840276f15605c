// Element-wise and row-wise kernels of the pipeplan CUDA backend (fp32). The matrix products run in cuBLAS; these
// kernels do the rest. Every kernel is mirrored, argument for argument, by HostOps in the Java sources, which the
// tests check against finite differences; keep the two in step. Regenerate the PTX with scripts/build-ptx.sh (nvcc,
// or NVIDIA's runtime compiler NVRTC on a machine without the CUDA toolkit).
//
// Launch shapes (see KernelGeometry.java): "elementwise" kernels take a 1-D grid of 256-thread blocks covering n
// with a grid-stride loop; "row" kernels take one 256-thread block per row and reduce in shared memory;
// "column" kernels take one thread per column.

#define ROW_THREADS 256

extern "C" {

__device__ float block_sum(float v, float* shared) {
  int t = threadIdx.x;
  shared[t] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) shared[t] += shared[t + s];
    __syncthreads();
  }
  float total = shared[0];
  __syncthreads();
  return total;
}

__device__ float block_max(float v, float* shared) {
  int t = threadIdx.x;
  shared[t] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) shared[t] = fmaxf(shared[t], shared[t + s]);
    __syncthreads();
  }
  float total = shared[0];
  __syncthreads();
  return total;
}

// out[r, c] = tokens_table[tokens[r], c] + positions_table[r % seq, c]
__global__ void pp_embedding_forward(const int* tokens, const float* token_table, const float* position_table,
    float* out, int rows, int hidden, int seq) {
  long n = (long) rows * hidden;
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    int r = (int) (i / hidden);
    int c = (int) (i % hidden);
    out[i] = token_table[(long) tokens[r] * hidden + c] + position_table[(long) (r % seq) * hidden + c];
  }
}

// token_grad[tokens[r], c] += dy[r, c]; position_grad[r % seq, c] += dy[r, c]
__global__ void pp_embedding_backward(const int* tokens, const float* dy, float* token_grad, float* position_grad,
    int rows, int hidden, int seq) {
  long n = (long) rows * hidden;
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    int r = (int) (i / hidden);
    int c = (int) (i % hidden);
    atomicAdd(&token_grad[(long) tokens[r] * hidden + c], dy[i]);
    atomicAdd(&position_grad[(long) (r % seq) * hidden + c], dy[i]);
  }
}

// One block per row: normalized = (x - mean) * rstd, rstd = 1/sqrt(var + eps), y = normalized * gain + shift.
__global__ void pp_layernorm_forward(const float* x, const float* gain, const float* shift, float* normalized,
    float* rstd, float* y, int rows, int n, float eps) {
  __shared__ float shared[ROW_THREADS];
  int r = blockIdx.x;
  if (r >= rows) return;
  const float* xr = x + (long) r * n;
  float s = 0;
  for (int c = threadIdx.x; c < n; c += blockDim.x) s += xr[c];
  float mean = block_sum(s, shared) / n;
  float v = 0;
  for (int c = threadIdx.x; c < n; c += blockDim.x) {
    float d = xr[c] - mean;
    v += d * d;
  }
  float inv = rsqrtf(block_sum(v, shared) / n + eps);
  if (threadIdx.x == 0) rstd[r] = inv;
  for (int c = threadIdx.x; c < n; c += blockDim.x) {
    float z = (xr[c] - mean) * inv;
    normalized[(long) r * n + c] = z;
    y[(long) r * n + c] = z * gain[c] + shift[c];
  }
}

// One block per row: g = dy * gain; dx (=, or += when accumulate) rstd * (g - mean(g) - normalized * mean(g * normalized))
__global__ void pp_layernorm_backward(const float* dy, const float* gain, const float* normalized, const float* rstd,
    float* dx, int rows, int n, int accumulate) {
  __shared__ float shared[ROW_THREADS];
  int r = blockIdx.x;
  if (r >= rows) return;
  long base = (long) r * n;
  float sg = 0;
  float sgz = 0;
  for (int c = threadIdx.x; c < n; c += blockDim.x) {
    float g = dy[base + c] * gain[c];
    sg += g;
    sgz += g * normalized[base + c];
  }
  float meanG = block_sum(sg, shared) / n;
  float meanGz = block_sum(sgz, shared) / n;
  float inv = rstd[r];
  for (int c = threadIdx.x; c < n; c += blockDim.x) {
    float g = dy[base + c] * gain[c];
    float d = inv * (g - meanG - normalized[base + c] * meanGz);
    dx[base + c] = accumulate ? dx[base + c] + d : d;
  }
}

// out[c] += sum over rows of x[r, c]
__global__ void pp_add_column_sums(const float* x, float* out, int rows, int cols) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  float s = 0;
  for (int r = 0; r < rows; r++) s += x[(long) r * cols + c];
  out[c] += s;
}

// out[c] += sum over rows of a[r, c] * b[r, c]
__global__ void pp_add_column_dot_sums(const float* a, const float* b, float* out, int rows, int cols) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  float s = 0;
  for (int r = 0; r < rows; r++) s += a[(long) r * cols + c] * b[(long) r * cols + c];
  out[c] += s;
}

// y[r, c] += bias[c]
__global__ void pp_add_bias(float* y, const float* bias, int rows, int cols) {
  long n = (long) rows * cols;
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    y[i] += bias[i % cols];
  }
}

// y[i] += x[i]
__global__ void pp_add(float* y, const float* x, long n) {
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    y[i] += x[i];
  }
}

#define GELU_C 0.7978845608028654f
#define GELU_K 0.044715f

// out = 0.5 u (1 + tanh(c (u + k u^3)))
__global__ void pp_gelu_forward(const float* u, float* out, long n) {
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    float x = u[i];
    float t = tanhf(GELU_C * (x + GELU_K * x * x * x));
    out[i] = 0.5f * x * (1.0f + t);
  }
}

// grad *= gelu'(u)
__global__ void pp_gelu_backward(const float* u, float* grad, long n) {
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    float x = u[i];
    float t = tanhf(GELU_C * (x + GELU_K * x * x * x));
    float d = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * GELU_C * (1.0f + 3.0f * GELU_K * x * x);
    grad[i] *= d;
  }
}

// out = silu(gate) * up
__global__ void pp_swiglu_forward(const float* up, const float* gate, float* out, long n) {
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    float g = gate[i];
    float s = 1.0f / (1.0f + expf(-g));
    out[i] = g * s * up[i];
  }
}

// d_up = d_out * silu(gate); d_gate = d_out * up * s (1 + gate (1 - s))
__global__ void pp_swiglu_backward(const float* up, const float* gate, const float* d_out, float* d_up,
    float* d_gate, long n) {
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    float g = gate[i];
    float s = 1.0f / (1.0f + expf(-g));
    float d = d_out[i];
    d_up[i] = d * g * s;
    d_gate[i] = d * up[i] * s * (1.0f + g * (1.0f - s));
  }
}

// One block per row of scores [rows_total, seq]; the row's query position is r % seq. In place:
// p[j] = softmax over j <= r % seq of scale * scores[j]; p[j] = 0 for j > r % seq (causal mask).
__global__ void pp_causal_softmax(float* scores, int rows_total, int seq, float scale) {
  __shared__ float shared[ROW_THREADS];
  int r = blockIdx.x;
  if (r >= rows_total) return;
  int last = r % seq;
  float* row = scores + (long) r * seq;
  float m = -3.0e38f;
  for (int j = threadIdx.x; j <= last; j += blockDim.x) m = fmaxf(m, scale * row[j]);
  m = block_max(m, shared);
  float s = 0;
  for (int j = threadIdx.x; j <= last; j += blockDim.x) {
    float e = expf(scale * row[j] - m);
    row[j] = e;
    s += e;
  }
  float total = block_sum(s, shared);
  for (int j = threadIdx.x; j < seq; j += blockDim.x) row[j] = j <= last ? row[j] / total : 0.0f;
}

// One block per row. In place: dp becomes the gradient of the raw scores, scale * p * (dp - sum_j p dp).
__global__ void pp_softmax_backward(const float* p, float* dp, int rows_total, int seq, float scale) {
  __shared__ float shared[ROW_THREADS];
  int r = blockIdx.x;
  if (r >= rows_total) return;
  long base = (long) r * seq;
  float s = 0;
  for (int j = threadIdx.x; j < seq; j += blockDim.x) s += p[base + j] * dp[base + j];
  float dot = block_sum(s, shared);
  for (int j = threadIdx.x; j < seq; j += blockDim.x) dp[base + j] = scale * p[base + j] * (dp[base + j] - dot);
}

// One block per row of logits [rows, vocab]. In place: logits become scale * (softmax - onehot(label));
// losses[r] = -scale * log softmax[label].
__global__ void pp_cross_entropy(float* logits, const int* labels, float* losses, int rows, int vocab, float scale) {
  __shared__ float shared[ROW_THREADS];
  int r = blockIdx.x;
  if (r >= rows) return;
  float* row = logits + (long) r * vocab;
  float m = -3.0e38f;
  for (int j = threadIdx.x; j < vocab; j += blockDim.x) m = fmaxf(m, row[j]);
  m = block_max(m, shared);
  float s = 0;
  for (int j = threadIdx.x; j < vocab; j += blockDim.x) s += expf(row[j] - m);
  float total = block_sum(s, shared);
  int label = labels[r];
  if (threadIdx.x == 0) losses[r] = -scale * (row[label] - m - logf(total));
  __syncthreads();
  for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
    float p = expf(row[j] - m) / total;
    row[j] = scale * (p - (j == label ? 1.0f : 0.0f));
  }
}

// w -= lr * g
__global__ void pp_sgd_step(float* w, const float* g, float lr, long n) {
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    w[i] -= lr * g[i];
  }
}

// Adam with bias corrections c1 = 1 - beta1^t, c2 = 1 - beta2^t
__global__ void pp_adam_step(float* w, const float* g, float* m, float* v, float lr, float beta1, float beta2,
    float eps, float c1, float c2, long n) {
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    float gi = g[i];
    float mi = beta1 * m[i] + (1.0f - beta1) * gi;
    float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] -= lr * (mi / c1) / (sqrtf(vi / c2) + eps);
  }
}

// out[r, c] = token_table[tokens[r], c]: the embedding of a model without learned positions (rotary, Llama)
__global__ void pp_token_embedding_forward(const int* tokens, const float* token_table, float* out, int rows,
    int hidden) {
  long n = (long) rows * hidden;
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    int r = (int) (i / hidden);
    int c = (int) (i % hidden);
    out[i] = token_table[(long) tokens[r] * hidden + c];
  }
}

// token_grad[tokens[r], c] += dy[r, c]
__global__ void pp_token_embedding_backward(const int* tokens, const float* dy, float* token_grad, int rows,
    int hidden) {
  long n = (long) rows * hidden;
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    int r = (int) (i / hidden);
    int c = (int) (i % hidden);
    atomicAdd(&token_grad[(long) tokens[r] * hidden + c], dy[i]);
  }
}

// One block per row: rstd = 1/sqrt(mean(x^2) + eps), normalized = x * rstd, y = normalized * gain (RMSNorm).
__global__ void pp_rmsnorm_forward(const float* x, const float* gain, float* normalized, float* rstd, float* y,
    int rows, int n, float eps) {
  __shared__ float shared[ROW_THREADS];
  int r = blockIdx.x;
  if (r >= rows) return;
  const float* xr = x + (long) r * n;
  float s = 0;
  for (int c = threadIdx.x; c < n; c += blockDim.x) s += xr[c] * xr[c];
  float inv = rsqrtf(block_sum(s, shared) / n + eps);
  if (threadIdx.x == 0) rstd[r] = inv;
  for (int c = threadIdx.x; c < n; c += blockDim.x) {
    float z = xr[c] * inv;
    normalized[(long) r * n + c] = z;
    y[(long) r * n + c] = z * gain[c];
  }
}

// One block per row: g = dy * gain; dx (=, or += when accumulate) rstd * (g - normalized * mean(g * normalized))
__global__ void pp_rmsnorm_backward(const float* dy, const float* gain, const float* normalized, const float* rstd,
    float* dx, int rows, int n, int accumulate) {
  __shared__ float shared[ROW_THREADS];
  int r = blockIdx.x;
  if (r >= rows) return;
  long base = (long) r * n;
  float sgz = 0;
  for (int c = threadIdx.x; c < n; c += blockDim.x) sgz += dy[base + c] * gain[c] * normalized[base + c];
  float meanGz = block_sum(sgz, shared) / n;
  float inv = rstd[r];
  for (int c = threadIdx.x; c < n; c += blockDim.x) {
    float d = inv * (dy[base + c] * gain[c] - normalized[base + c] * meanGz);
    dx[base + c] = accumulate ? dx[base + c] + d : d;
  }
}

// Rotary position embedding in place on x [rows, heads * head_dim], Hugging Face's rotate-half pairing: in each
// head, column p (< head_dim / 2) and p + head_dim / 2 of row r turn by angle (r % seq) * theta^(-2p / head_dim);
// by minus that angle when inverse (the backward: the transpose of a rotation is its inverse). One thread per
// pair; the angle in double, as HostOps computes it, so that long sequences keep fp32 accuracy.
__global__ void pp_rope(float* x, int rows, int seq, int heads, int head_dim, float theta, int inverse) {
  int half = head_dim / 2;
  long n = (long) rows * heads * half;
  for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) {
    int p = (int) (i % half);
    long rh = i / half;
    int r = (int) (rh / heads);
    double angle = (double) (r % seq) * pow((double) theta, -2.0 * p / head_dim);
    double sn;
    double cs;
    sincos(angle, &sn, &cs);
    float c = (float) cs;
    float s = inverse ? (float) -sn : (float) sn;
    long base = rh * head_dim;
    float x1 = x[base + p];
    float x2 = x[base + p + half];
    x[base + p] = x1 * c - x2 * s;
    x[base + p + half] = x2 * c + x1 * s;
  }
}

}  // extern "C"
