package dev.pipeplan.models.zoo;

import dev.pipeplan.models.DType;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ResNet-50 (He et al. 2016; torchvision's v1.5, stride in the 3x3 convolution) on 224x224 images,
 * 25,557,032 parameters: the stem, a max-pool, sixteen bottleneck blocks as one layer each (the
 * granularity torchgpipe balances), the average pool and the classifier. Every convolution is
 * followed by batch norm (2 parameters per channel) and, but for the last of a block, a ReLU.
 */
final class ResNet50 {
  private static final int[] BLOCKS = {3, 4, 6, 3};
  private static final int[] WIDTHS = {64, 128, 256, 512};
  private static final int CLASSES = 1000;

  private ResNet50() {}

  static ModelSpec build(String name, DType dtype) {
    int b = dtype.bytes();
    List<LayerSpec> layers = new ArrayList<>();
    layers.add(stem(b));
    layers.add(maxPool(b));
    int channels = 64;
    int size = 56;
    for (int stage = 0; stage < BLOCKS.length; stage++) {
      for (int block = 0; block < BLOCKS[stage]; block++) {
        int stride = stage > 0 && block == 0 ? 2 : 1;
        layers.add(
            bottleneck(
                "layer" + (stage + 1) + "." + block, channels, WIDTHS[stage], stride, size, b));
        size /= stride;
        channels = 4 * WIDTHS[stage];
      }
    }
    Map<String, Long> poolShape = new LinkedHashMap<>();
    poolShape.put("channels", (long) channels);
    poolShape.put("height", (long) size);
    poolShape.put("width", (long) size);
    double pooled = (double) channels * size * size;
    layers.add(
        new LayerSpec(
            "avgpool",
            LayerKind.POOL,
            LayerShape.Dimensions.of(poolShape),
            pooled,
            pooled,
            0,
            0,
            0,
            (long) b * channels,
            null));
    double fc = 2.0 * channels * CLASSES;
    layers.add(
        new LayerSpec(
            "fc",
            LayerKind.LINEAR,
            LayerShape.Linear.of(channels, CLASSES),
            fc,
            fc,
            fc,
            (long) channels * CLASSES + CLASSES,
            (long) b * channels + 4L * CLASSES,
            4,
            null));
    return new ModelSpec(name, layers, dtype, 0);
  }

  /** 7x7 convolution, stride 2, 3 to 64 channels (224 to 112), batch norm and ReLU. */
  private static LayerSpec stem(int b) {
    double out = 112.0 * 112;
    double flops = 2.0 * 3 * 64 * 49 * out;
    Map<String, Long> shape = new LinkedHashMap<>();
    shape.put("cin", 3L);
    shape.put("cout", 64L);
    shape.put("kernel", 7L);
    shape.put("height", 112L);
    shape.put("width", 112L);
    long saved = Math.round(b * (3 * 224.0 * 224 + 2 * 64 * out));
    return new LayerSpec(
        "stem",
        LayerKind.CONV,
        LayerShape.Dimensions.of(shape),
        flops,
        0,
        flops,
        3L * 64 * 49 + 2 * 64,
        saved,
        Math.round(b * 64 * out),
        null);
  }

  /** 3x3 max-pool, stride 2 (112 to 56). */
  private static LayerSpec maxPool(int b) {
    double in = 64.0 * 112 * 112;
    Map<String, Long> shape = new LinkedHashMap<>();
    shape.put("channels", 64L);
    shape.put("height", 112L);
    shape.put("width", 112L);
    return new LayerSpec(
        "maxpool",
        LayerKind.POOL,
        LayerShape.Dimensions.of(shape),
        in,
        in,
        0,
        0,
        Math.round(b * in),
        Math.round(b * in / 4),
        null);
  }

  /**
   * 1x1 (in to mid), 3x3 (mid to mid, the stride), 1x1 (mid to 4·mid), each with batch norm; a 1x1
   * projection of the input where the shape changes; the residual add and a ReLU. It keeps each
   * convolution's input, each batch norm's input and each ReLU's output.
   */
  private static LayerSpec bottleneck(String name, int in, int mid, int stride, int inSize, int b) {
    int out = 4 * mid;
    int size = inSize / stride;
    double inPixels = (double) inSize * inSize;
    double pixels = (double) size * size;
    boolean projection = stride != 1 || in != out;
    double flops =
        2.0 * in * mid * inPixels
            + 2.0 * 9 * mid * mid * pixels
            + 2.0 * mid * out * pixels
            + (projection ? 2.0 * in * out * pixels : 0);
    long params =
        (long) in * mid
            + 9L * mid * mid
            + (long) mid * out
            + 2L * (mid + mid + out)
            + (projection ? (long) in * out + 2L * out : 0);
    double savedElements =
        in * inPixels // the block input (first convolution and the shortcut)
            + 2 * mid * inPixels // first convolution: batch-norm input, ReLU output
            + 2 * mid * pixels // second: batch-norm input, ReLU output
            + 2 * out * pixels // third: batch-norm input, output after the add and ReLU
            + (projection ? out * pixels : 0); // projection's batch-norm input
    Map<String, Long> shape = new LinkedHashMap<>();
    shape.put("cin", (long) in);
    shape.put("mid", (long) mid);
    shape.put("cout", (long) out);
    shape.put("stride", (long) stride);
    shape.put("size", (long) size);
    // The block's input gradient costs its forward; weight gradients another forward.
    return new LayerSpec(
        name,
        LayerKind.CONV,
        LayerShape.Dimensions.of(shape),
        flops,
        flops,
        flops,
        params,
        Math.round(b * savedElements),
        Math.round(b * out * pixels),
        null);
  }
}
