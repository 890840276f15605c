package dev.pipeplan.executor.layers;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The few tensor operations the layers share: seeded initialisation, layer norm, GELU and SiLU with
 * derivatives.
 */
public final class Tensors {
  /** GPT-2's initialisation standard deviation. */
  public static final double INIT_STD = 0.02;

  static final double LAYER_NORM_EPS = 1e-5;
  private static final double GELU_C = Math.sqrt(2 / Math.PI);
  private static final double GELU_K = 0.044715;

  private Tensors() {}

  /** A tensor of normal(0, std) values drawn from the stream, in row-major order. */
  public static INDArray normal(
      SplittableRandom random, double std, DataType dataType, long... shape) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    double[] data = new double[Math.toIntExact(n)];
    for (int i = 0; i < data.length; i++) {
      data[i] = random.nextGaussian() * std;
    }
    return Nd4j.create(data, shape, dataType);
  }

  public static INDArray zeros(DataType dataType, long... shape) {
    return Nd4j.zeros(dataType, shape);
  }

  public static INDArray ones(DataType dataType, long... shape) {
    return Nd4j.ones(dataType, shape);
  }

  /**
   * Frees the native memory of tensors this code owns and no longer needs, at once rather than at
   * the next garbage collection: freed memory is reused by the allocator, where fresh memory costs
   * a page fault per 4 KiB (which dominated the time of small layers). A reshaped view that covers
   * its whole buffer frees the buffer. Never pass a tensor that anything else still reads.
   */
  public static void release(INDArray... tensors) {
    for (INDArray t : tensors) {
      if (t == null || t.wasClosed()) {
        continue;
      }
      if (t.closeable()) {
        t.close();
      } else if (t.isView()
          && t.length() == t.data().length()
          && t.data().closeable()
          && !t.data().wasClosed()) {
        t.data().close();
      }
    }
  }

  /**
   * Layer norm over each row: returns the normalised rows and keeps 1/std per row in {@code
   * rstdOut[0]}.
   */
  static INDArray normalize(INDArray x, INDArray[] rstdOut) {
    INDArray mean = x.mean(true, 1);
    INDArray centred = x.sub(mean);
    INDArray squares = centred.mul(centred);
    INDArray variance = squares.mean(true, 1);
    release(squares, mean);
    INDArray rstd = Transforms.pow(variance.addi(LAYER_NORM_EPS), -0.5, false);
    rstdOut[0] = rstd;
    return centred.muli(rstd);
  }

  /**
   * Input gradient of layer norm. {@code dNormalized} is the gradient with respect to the
   * normalised rows (the output gradient already multiplied by gamma).
   */
  static INDArray normalizeBackward(INDArray dNormalized, INDArray normalized, INDArray rstd) {
    INDArray meanGrad = dNormalized.mean(true, 1);
    INDArray product = dNormalized.mul(normalized);
    INDArray meanGradX = product.mean(true, 1);
    INDArray scaled = normalized.mul(meanGradX);
    INDArray out = dNormalized.sub(meanGrad).subi(scaled).muli(rstd);
    release(meanGrad, product, meanGradX, scaled);
    return out;
  }

  /** GELU, tanh approximation (GPT-2). */
  static INDArray gelu(INDArray u) {
    INDArray t = Transforms.tanh(geluInner(u), false);
    return t.addi(1).muli(u).muli(0.5);
  }

  /** Derivative of {@link #gelu}. */
  static INDArray geluDerivative(INDArray u) {
    INDArray t = Transforms.tanh(geluInner(u), false);
    INDArray sech2 = t.mul(t).rsubi(1);
    INDArray inner = u.mul(u).muli(3 * GELU_K).addi(1).muli(GELU_C);
    INDArray out = sech2.muli(inner).muli(u).muli(0.5).addi(t.addi(1).muli(0.5));
    release(t, inner);
    return out;
  }

  private static INDArray geluInner(INDArray u) {
    return u.mul(u).muli(u).muli(GELU_K).addi(u).muli(GELU_C);
  }

  /** SiLU, x * sigmoid(x). */
  static INDArray silu(INDArray g) {
    return Transforms.sigmoid(g, true).muli(g);
  }

  /** Derivative of SiLU: s (1 + x (1 - s)). */
  static INDArray siluDerivative(INDArray g) {
    INDArray s = Transforms.sigmoid(g, true);
    INDArray out = s.rsub(1).muli(g).addi(1).muli(s);
    release(s);
    return out;
  }

  /** Softmax over the last dimension. */
  static INDArray softmaxLast(INDArray x) {
    int last = x.rank() - 1;
    INDArray max = x.max(true, last);
    INDArray e = Transforms.exp(x.sub(max), false);
    INDArray sum = e.sum(true, last);
    e.divi(sum);
    release(max, sum);
    return e;
  }
}
