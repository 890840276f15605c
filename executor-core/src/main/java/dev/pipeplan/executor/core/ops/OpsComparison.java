package dev.pipeplan.executor.core.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Every kernel of {@link Kernel} and the products (all four transposes, offsets, padded leading
 * dimensions, strided batches, beta 0 over NaN) run on two {@link Ops} with the same small inputs,
 * every float tensor compared afterwards: how a backend is checked against {@link HostOps}. Each
 * failure is one line that names the call and the numbers. The sizes make the row kernels loop
 * (rows longer than a GPU block) and the column kernels use more than one block.
 */
public final class OpsComparison {
  /**
   * Largest |ops - reference| allowed, relative to the largest |reference| of the tensor (fp32
   * against double).
   */
  public static final double TOLERANCE = 2e-4;

  private OpsComparison() {}

  /**
   * What {@link #compare(Ops, Ops)} found.
   *
   * @param cases kernel and product cases run
   * @param failures one message per case that differs or failed, empty when all agree
   */
  public record Result(int cases, List<String> failures) {
    public Result {
      failures = List.copyOf(failures);
    }
  }

  /**
   * Runs every kernel and product on {@code ops} and on {@code reference} with the same inputs and
   * compares every float tensor afterwards. Stops at the first exception (on a GPU an asynchronous
   * fault makes every later call fail too).
   */
  public static Result compare(Ops ops, Ops reference) {
    List<String> failures = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(7);
    List<Case> cases = cases(r);
    for (Case c : cases) {
      try {
        String problem = c.run(ops, reference);
        if (problem != null) {
          failures.add(problem);
        }
      } catch (RuntimeException e) {
        failures.add(c.name + ": " + e.getMessage());
        break;
      }
    }
    return new Result(cases.size(), failures);
  }

  /** One kernel or product run on both sides with the same inputs. */
  private static final class Case {
    final String name;
    final Kernel kernel;
    final long work;
    final Object[] args;
    final Gemm gemm;

    Case(String name, Kernel kernel, long work, Object... args) {
      this.name = name;
      this.kernel = kernel;
      this.work = work;
      this.args = args;
      this.gemm = null;
    }

    Case(String name, Gemm gemm, Object... tensors) {
      this.name = name;
      this.kernel = null;
      this.work = 0;
      this.args = tensors;
      this.gemm = gemm;
    }

    /** null when both sides agree, else what differs. */
    String run(Ops ops, Ops reference) {
      Object[] mine = upload(ops);
      Object[] theirs = upload(reference);
      try {
        if (kernel != null) {
          ops.launch(kernel, work, mine);
          reference.launch(kernel, work, theirs);
        } else {
          gemm.run(ops, mine);
          gemm.run(reference, theirs);
        }
        for (int i = 0; i < args.length; i++) {
          if (args[i] instanceof float[]) {
            String problem =
                compare(ops.download((Tensor) mine[i]), reference.download((Tensor) theirs[i]));
            if (problem != null) {
              return name + ": argument " + i + " " + problem;
            }
          }
        }
        return null;
      } finally {
        free(ops, mine);
        free(reference, theirs);
      }
    }

    private Object[] upload(Ops ops) {
      Object[] out = new Object[args.length];
      for (int i = 0; i < args.length; i++) {
        Object a = args[i];
        if (a instanceof float[]) {
          out[i] = ops.upload((float[]) a);
        } else if (a instanceof int[]) {
          out[i] = ops.uploadInts((int[]) a);
        } else {
          out[i] = a;
        }
      }
      return out;
    }

    private static void free(Ops ops, Object[] values) {
      for (Object v : values) {
        if (v instanceof Tensor) {
          ops.free((Tensor) v);
        }
      }
    }
  }

  /** A product on uploaded tensors. */
  private interface Gemm {
    void run(Ops ops, Object[] tensors);
  }

  /** null when {@code got} matches {@code want} within {@link #TOLERANCE} (NaN only where NaN). */
  public static String compare(float[] got, float[] want) {
    if (got.length != want.length) {
      return "has " + got.length + " values, expected " + want.length;
    }
    double scale = 1e-6;
    for (float w : want) {
      if (!Float.isNaN(w)) {
        scale = Math.max(scale, Math.abs(w));
      }
    }
    int worst = -1;
    double worstDiff = 0;
    for (int i = 0; i < got.length; i++) {
      if (Float.isNaN(want[i]) != Float.isNaN(got[i])) {
        return String.format(Locale.ROOT, "element %d is %s, expected %s", i, got[i], want[i]);
      }
      if (Float.isNaN(want[i]) || got[i] == want[i]) {
        continue;
      }
      double d = Math.abs((double) got[i] - want[i]);
      if (!(d <= worstDiff)) {
        worstDiff = d;
        worst = i;
      }
    }
    if (worst >= 0 && !(worstDiff <= TOLERANCE * scale)) {
      return String.format(
          Locale.ROOT,
          "element %d is %s, expected %s (difference %.3g, %.3g of the largest |value| %.3g;"
              + " tolerance %.1g)",
          worst,
          got[worst],
          want[worst],
          worstDiff,
          worstDiff / scale,
          scale,
          TOLERANCE);
    }
    return null;
  }

  private static float[] normal(SplittableRandom r, double std, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian() * std);
    }
    return v;
  }

  private static float[] positive(SplittableRandom r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (0.01 + r.nextDouble());
    }
    return v;
  }

  private static int[] ids(SplittableRandom r, int bound, int n) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextInt(bound);
    }
    return v;
  }

  private static List<Case> cases(SplittableRandom r) {
    List<Case> c = new ArrayList<>();
    // embedding: 3 samples of 5 tokens, hidden 300, vocabulary 4 (repeated ids: atomics collide)
    int seq = 5;
    int rows = 3 * seq;
    int hidden = 300;
    int vocab = 4;
    c.add(
        new Case(
            "pp_embedding_forward",
            Kernel.EMBEDDING_FORWARD,
            (long) rows * hidden,
            ids(r, vocab, rows),
            normal(r, 1, vocab * hidden),
            normal(r, 1, seq * hidden),
            new float[rows * hidden],
            rows,
            hidden,
            seq));
    c.add(
        new Case(
            "pp_embedding_backward",
            Kernel.EMBEDDING_BACKWARD,
            (long) rows * hidden,
            ids(r, vocab, rows),
            normal(r, 1, rows * hidden),
            normal(r, 1, vocab * hidden),
            normal(r, 1, seq * hidden),
            rows,
            hidden,
            seq));
    // layer norm: rows of 300 > 256 threads; mean far from 0
    int lnRows = 3;
    int n = 300;
    float[] x = normal(r, 2, lnRows * n);
    for (int i = 0; i < x.length; i++) {
      x[i] += 5;
    }
    c.add(
        new Case(
            "pp_layernorm_forward",
            Kernel.LAYERNORM_FORWARD,
            lnRows,
            x,
            normal(r, 1, n),
            normal(r, 1, n),
            new float[lnRows * n],
            new float[lnRows],
            new float[lnRows * n],
            lnRows,
            n,
            1e-5f));
    for (int accumulate = 0; accumulate <= 1; accumulate++) {
      c.add(
          new Case(
              "pp_layernorm_backward (accumulate " + accumulate + ")",
              Kernel.LAYERNORM_BACKWARD,
              lnRows,
              normal(r, 1, lnRows * n),
              normal(r, 1, n),
              normal(r, 1, lnRows * n),
              positive(r, lnRows),
              normal(r, 1, lnRows * n),
              lnRows,
              n,
              accumulate));
    }
    // column sums: 300 columns = 2 blocks
    int colRows = 7;
    c.add(
        new Case(
            "pp_add_column_sums",
            Kernel.ADD_COLUMN_SUMS,
            n,
            normal(r, 1, colRows * n),
            normal(r, 1, n),
            colRows,
            n));
    c.add(
        new Case(
            "pp_add_column_dot_sums",
            Kernel.ADD_COLUMN_DOT_SUMS,
            n,
            normal(r, 1, colRows * n),
            normal(r, 1, colRows * n),
            normal(r, 1, n),
            colRows,
            n));
    c.add(
        new Case(
            "pp_add_bias",
            Kernel.ADD_BIAS,
            (long) colRows * n,
            normal(r, 1, colRows * n),
            normal(r, 1, n),
            colRows,
            n));
    int m = 1000;
    c.add(new Case("pp_add", Kernel.ADD, m, normal(r, 1, m), normal(r, 1, m), (long) m));
    c.add(
        new Case(
            "pp_gelu_forward", Kernel.GELU_FORWARD, m, normal(r, 3, m), new float[m], (long) m));
    c.add(
        new Case(
            "pp_gelu_backward",
            Kernel.GELU_BACKWARD,
            m,
            normal(r, 3, m),
            normal(r, 1, m),
            (long) m));
    c.add(
        new Case(
            "pp_swiglu_forward",
            Kernel.SWIGLU_FORWARD,
            m,
            normal(r, 1, m),
            normal(r, 3, m),
            new float[m],
            (long) m));
    c.add(
        new Case(
            "pp_swiglu_backward",
            Kernel.SWIGLU_BACKWARD,
            m,
            normal(r, 1, m),
            normal(r, 3, m),
            normal(r, 1, m),
            new float[m],
            new float[m],
            (long) m));
    // attention rows: 2 heads of a 300-token sequence (rows longer than a block), large scores
    int aSeq = 300;
    int aRows = 2 * aSeq;
    c.add(
        new Case(
            "pp_causal_softmax",
            Kernel.CAUSAL_SOFTMAX,
            aRows,
            normal(r, 30, aRows * aSeq),
            aRows,
            aSeq,
            0.125f));
    c.add(
        new Case(
            "pp_softmax_backward",
            Kernel.SOFTMAX_BACKWARD,
            aRows,
            positive(r, aRows * aSeq),
            normal(r, 1, aRows * aSeq),
            aRows,
            aSeq,
            0.125f));
    // cross-entropy: vocabulary 700, logits large enough to overflow expf without the max shift
    int ceRows = 3;
    int ceVocab = 700;
    float[] logits = normal(r, 5, ceRows * ceVocab);
    logits[5] = 120f;
    c.add(
        new Case(
            "pp_cross_entropy",
            Kernel.CROSS_ENTROPY,
            ceRows,
            logits,
            ids(r, ceVocab, ceRows),
            new float[ceRows],
            ceRows,
            ceVocab,
            1f / 3));
    c.add(
        new Case(
            "pp_sgd_step", Kernel.SGD_STEP, m, normal(r, 1, m), normal(r, 1, m), 0.01f, (long) m));
    c.add(
        new Case(
            "pp_adam_step",
            Kernel.ADAM_STEP,
            m,
            normal(r, 1, m),
            normal(r, 1, m),
            normal(r, 0.1, m),
            positive(r, m),
            0.001f,
            0.9f,
            0.999f,
            1e-8f,
            0.19f,
            0.002f,
            (long) m));
    // the Llama family: a token-only embedding, RMSNorm rows longer than a block, rotary
    // embeddings of 3 heads of 128 over 2 samples of 5 positions, forward and inverse
    c.add(
        new Case(
            "pp_token_embedding_forward",
            Kernel.TOKEN_EMBEDDING_FORWARD,
            (long) rows * hidden,
            ids(r, vocab, rows),
            normal(r, 1, vocab * hidden),
            new float[rows * hidden],
            rows,
            hidden));
    c.add(
        new Case(
            "pp_token_embedding_backward",
            Kernel.TOKEN_EMBEDDING_BACKWARD,
            (long) rows * hidden,
            ids(r, vocab, rows),
            normal(r, 1, rows * hidden),
            normal(r, 1, vocab * hidden),
            rows,
            hidden));
    c.add(
        new Case(
            "pp_rmsnorm_forward",
            Kernel.RMSNORM_FORWARD,
            lnRows,
            normal(r, 2, lnRows * n),
            normal(r, 1, n),
            new float[lnRows * n],
            new float[lnRows],
            new float[lnRows * n],
            lnRows,
            n,
            1e-5f));
    for (int accumulate = 0; accumulate <= 1; accumulate++) {
      c.add(
          new Case(
              "pp_rmsnorm_backward (accumulate " + accumulate + ")",
              Kernel.RMSNORM_BACKWARD,
              lnRows,
              normal(r, 1, lnRows * n),
              normal(r, 1, n),
              normal(r, 1, lnRows * n),
              positive(r, lnRows),
              normal(r, 1, lnRows * n),
              lnRows,
              n,
              accumulate));
    }
    int ropeRows = 2 * seq;
    int ropeHeads = 3;
    int ropeDim = 128;
    for (int inverse = 0; inverse <= 1; inverse++) {
      c.add(
          new Case(
              "pp_rope (inverse " + inverse + ")",
              Kernel.ROPE,
              (long) ropeRows * ropeHeads * ropeDim / 2,
              normal(r, 1, ropeRows * ropeHeads * ropeDim),
              ropeRows,
              seq,
              ropeHeads,
              ropeDim,
              10_000f,
              inverse));
    }
    // products: C[5 x 7] = 1.5 op(A) op(B) + 0.5 C, k = 3, operands at offsets 2, 3 and 4, leading
    // dimensions padded by 2 (padding holds NaN: it must stay untouched and unread)
    int pr = 5;
    int pc = 7;
    int pk = 3;
    for (int t = 0; t < 4; t++) {
      boolean ta = (t & 1) != 0;
      boolean tb = (t & 2) != 0;
      int lda = (ta ? pr : pk) + 2;
      int ldb = (tb ? pk : pc) + 2;
      int ldc = pc + 2;
      float[] a = padded(r, ta ? pk : pr, lda, ta ? pr : pk, 2);
      float[] b = padded(r, tb ? pc : pk, ldb, tb ? pk : pc, 3);
      float[] cm = padded(r, pr, ldc, pc, 4);
      c.add(
          new Case(
              "gemm (transA " + ta + ", transB " + tb + ")",
              (ops, v) ->
                  ops.gemm(
                      ta,
                      tb,
                      pr,
                      pc,
                      pk,
                      1.5f,
                      (Tensor) v[0],
                      2,
                      lda,
                      (Tensor) v[1],
                      3,
                      ldb,
                      0.5f,
                      (Tensor) v[2],
                      4,
                      ldc),
              a,
              b,
              cm));
    }
    // beta 0 over NaN: the product must not read C
    float[] nanC = new float[pr * pc];
    java.util.Arrays.fill(nanC, Float.NaN);
    c.add(
        new Case(
            "gemm (beta 0 over NaN)",
            (ops, v) ->
                ops.matmul(
                    false, false, pr, pc, pk, (Tensor) v[0], (Tensor) v[1], 0f, (Tensor) v[2]),
            normal(r, 1, pr * pk),
            normal(r, 1, pk * pc),
            nanC));
    // strided batch as attention uses it: 3 items, B transposed, items interleaved in A and C
    int batch = 3;
    int hd = 4;
    int s = 6;
    c.add(
        new Case(
            "gemmBatched (scores)",
            (ops, v) ->
                ops.gemmBatched(
                    false,
                    true,
                    s,
                    s,
                    hd,
                    1f,
                    (Tensor) v[0],
                    1,
                    batch * hd,
                    hd,
                    (Tensor) v[1],
                    0,
                    batch * hd,
                    hd,
                    0f,
                    (Tensor) v[2],
                    0,
                    s,
                    (long) s * s,
                    batch),
            normal(r, 1, 1 + s * batch * hd),
            normal(r, 1, s * batch * hd),
            new float[batch * s * s]));
    c.add(
        new Case(
            "gemmBatched (transposed A, beta 1)",
            (ops, v) ->
                ops.gemmBatched(
                    true,
                    false,
                    s,
                    hd,
                    s,
                    1f,
                    (Tensor) v[0],
                    0,
                    s,
                    (long) s * s,
                    (Tensor) v[1],
                    2,
                    batch * hd,
                    hd,
                    1f,
                    (Tensor) v[2],
                    0,
                    batch * hd,
                    hd,
                    batch),
            normal(r, 1, batch * s * s),
            normal(r, 1, 2 + s * batch * hd),
            normal(r, 1, s * batch * hd)));
    return c;
  }

  /**
   * A row-major matrix of {@code rows x cols} with leading dimension {@code ld}, after {@code
   * offset} leading elements; the offset and the padding hold NaN.
   */
  private static float[] padded(SplittableRandom r, int rows, int ld, int cols, int offset) {
    float[] v = new float[offset + rows * ld];
    java.util.Arrays.fill(v, Float.NaN);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        v[offset + i * ld + j] = (float) r.nextGaussian();
      }
    }
    return v;
  }
}
