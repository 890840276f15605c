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
 * VGG-16 (Simonyan and Zisserman, configuration D) on 224x224 RGB images, 138,357,544 parameters:
 * thirteen 3x3 convolutions (each with its ReLU), five max-pools and three fully connected layers.
 * The CNN the PipeDream paper partitions, kept here so that a non-transformer model can be planned
 * analytically.
 */
final class Vgg16 {
  private static final int[][] CONV_BLOCKS = {
    {64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}
  };
  private static final int IMAGE = 224;
  private static final int CLASSES = 1000;

  private Vgg16() {}

  static ModelSpec build(String name, DType dtype) {
    int b = dtype.bytes();
    List<LayerSpec> layers = new ArrayList<>();
    int channels = 3;
    int size = IMAGE;
    int convIndex = 0;
    for (int block = 0; block < CONV_BLOCKS.length; block++) {
      for (int out : CONV_BLOCKS[block]) {
        layers.add(conv("conv" + (++convIndex), channels, out, size, b, convIndex == 1));
        channels = out;
      }
      layers.add(pool("pool" + (block + 1), channels, size, b));
      size /= 2;
    }
    int flat = channels * size * size; // 512 * 7 * 7 = 25088
    layers.add(linear("fc1", flat, 4096, b, true));
    layers.add(linear("fc2", 4096, 4096, b, true));
    layers.add(linear("fc3", 4096, CLASSES, b, false));
    return new ModelSpec(name, layers, dtype, 0);
  }

  /**
   * A 3x3 same-padding convolution and its ReLU. The first layer's input is the image: it needs no
   * gradient.
   */
  private static LayerSpec conv(String name, int in, int out, int size, int bytes, boolean first) {
    double pixels = (double) size * size;
    double flops = 2.0 * in * out * 9 * pixels;
    long params = (long) in * out * 9 + out;
    long saved =
        Math.round(bytes * (in + out) * pixels); // the convolution's input, the ReLU's output
    long output = Math.round(bytes * out * pixels);
    Map<String, Long> shape = new LinkedHashMap<>();
    shape.put("cin", (long) in);
    shape.put("cout", (long) out);
    shape.put("kernel", 3L);
    shape.put("height", (long) size);
    shape.put("width", (long) size);
    return new LayerSpec(
        name,
        LayerKind.CONV,
        LayerShape.Dimensions.of(shape),
        flops,
        first ? 0 : flops,
        flops,
        params,
        saved,
        output,
        null);
  }

  /** A 2x2 max-pool with stride 2; it keeps its input to route gradients to the maxima. */
  private static LayerSpec pool(String name, int channels, int size, int bytes) {
    double inputElements = (double) channels * size * size;
    Map<String, Long> shape = new LinkedHashMap<>();
    shape.put("channels", (long) channels);
    shape.put("height", (long) size);
    shape.put("width", (long) size);
    return new LayerSpec(
        name,
        LayerKind.POOL,
        LayerShape.Dimensions.of(shape),
        inputElements,
        inputElements,
        0,
        0,
        Math.round(bytes * inputElements),
        Math.round(bytes * inputElements / 4),
        null);
  }

  /** A fully connected layer; the hidden ones carry a ReLU and dropout. */
  private static LayerSpec linear(String name, int in, int out, int bytes, boolean hidden) {
    double flops = 2.0 * in * out;
    long params = (long) in * out + out;
    long saved = (long) bytes * in + (hidden ? (long) bytes * out + out : 0);
    return new LayerSpec(
        name,
        LayerKind.LINEAR,
        LayerShape.Linear.of(in, out),
        flops,
        flops,
        flops,
        params,
        saved,
        (long) bytes * out,
        null);
  }
}
