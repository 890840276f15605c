package dev.pipeplan.models;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A model as an ordered list of layers. Pipeline stages are contiguous ranges of these layers.
 *
 * @param name the model's name ("gpt2-xl")
 * @param layers the layers in execution order, at least one, names unique
 * @param dtype the format of weights and activations during training
 * @param sequenceLength tokens per sample for sequence models, 0 where it does not apply
 */
public record ModelSpec(String name, List<LayerSpec> layers, DType dtype, int sequenceLength) {
  public ModelSpec {
    Checks.nonBlank("model name", name);
    layers = List.copyOf(Objects.requireNonNull(layers, "layers"));
    if (layers.isEmpty()) {
      throw new BadInputException("model '" + name + "' has no layers");
    }
    Objects.requireNonNull(dtype, "dtype");
    ModelLimits.check(
        "model '" + name + "' sequenceLength", sequenceLength, ModelLimits.MAX_SEQUENCE);
    Set<String> seen = new HashSet<>();
    for (LayerSpec layer : layers) {
      if (!seen.add(layer.name())) {
        throw new BadInputException(
            "model '" + name + "' has two layers named '" + layer.name() + "'");
      }
    }
  }

  public int layerCount() {
    return layers.size();
  }

  public LayerSpec layer(int index) {
    return layers.get(index);
  }

  public long totalParameters() {
    long sum = 0;
    for (LayerSpec layer : layers) {
      sum = ModelLimits.add("model '" + name + "' total parameters", sum, layer.parameterCount());
    }
    return sum;
  }

  public double forwardFlopsPerSample() {
    double sum = 0;
    for (LayerSpec layer : layers) {
      sum += layer.forwardFlops();
    }
    return sum;
  }

  /** Forward plus backward FLOPs per sample: one training step's work for one sample. */
  public double trainingFlopsPerSample() {
    double sum = 0;
    for (LayerSpec layer : layers) {
      sum += layer.forwardFlops() + layer.backwardFlops();
    }
    return sum;
  }

  /** True when every layer has measured times, so a cost model can run without FLOP rates. */
  public boolean fullyMeasured() {
    for (LayerSpec layer : layers) {
      if (!layer.hasMeasuredTimes()) {
        return false;
      }
    }
    return true;
  }
}
