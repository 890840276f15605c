package dev.pipeplan.models;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.Objects;

/**
 * One layer of a model. Every per-layer size is <b>per sample</b>: for sequence models a sample is
 * one sequence of the model's sequence length, so a micro-batch of b samples costs b times these
 * numbers.
 *
 * @param name unique within the model
 * @param kind what the layer computes
 * @param shape the layer's dimensions, typed by its kind (see {@link LayerShape}); in files the map
 *     of {@link LayerShape#values()}, sorted by key
 * @param forwardFlops forward FLOPs per sample
 * @param backwardInputFlops FLOPs per sample of the backward pass for the layer's input gradient
 *     (I)
 * @param backwardWeightFlops FLOPs per sample of the backward pass for the weight gradient (W)
 * @param parameterCount trainable parameters
 * @param savedActivationBytes bytes per sample kept from forward until the backward has used them
 * @param outputBytes bytes per sample of the layer's output, i.e. what crosses to the next layer
 * @param measured measured times, or {@code null} when the layer is described by FLOPs only
 * @param activations {@code savedActivationBytes} split by what the memory modes do to each part;
 *     null (a layer known only by its total, e.g. from a plan file written before the parts
 *     existed) means all of it is split over the tensor-parallel ranks
 */
public record LayerSpec(
    String name,
    LayerKind kind,
    LayerShape shape,
    double forwardFlops,
    double backwardInputFlops,
    double backwardWeightFlops,
    long parameterCount,
    long savedActivationBytes,
    long outputBytes,
    MeasuredTimes measured,
    ActivationBytes activations) {

  public LayerSpec {
    Checks.nonBlank("layer name", name);
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(shape, "shape");
    if (!LayerShape.suits(shape, kind)) {
      throw new IllegalArgumentException(
          "layer '" + name + "' of kind " + kind.id() + " has a shape of another kind: " + shape);
    }
    String layer = "layer '" + name + "' ";
    flops(layer + "forwardFlops", forwardFlops);
    flops(layer + "backwardInputFlops", backwardInputFlops);
    flops(layer + "backwardWeightFlops", backwardWeightFlops);
    ModelLimits.check(layer + "parameterCount", parameterCount, ModelLimits.MAX_LAYER_PARAMETERS);
    ModelLimits.check(
        layer + "savedActivationBytes", savedActivationBytes, ModelLimits.MAX_LAYER_BYTES);
    ModelLimits.check(layer + "outputBytes", outputBytes, ModelLimits.MAX_LAYER_BYTES);
    activations = activations == null ? ActivationBytes.ofTotal(savedActivationBytes) : activations;
    if (activations.total() != savedActivationBytes) {
      throw new BadInputException(
          layer
              + "savedActivationBytes ("
              + savedActivationBytes
              + ") differs from the sum of its parts ("
              + activations.total()
              + ")");
    }
  }

  /** A layer known by its saved-activation total only (see {@link ActivationBytes#ofTotal}). */
  public LayerSpec(
      String name,
      LayerKind kind,
      LayerShape shape,
      double forwardFlops,
      double backwardInputFlops,
      double backwardWeightFlops,
      long parameterCount,
      long savedActivationBytes,
      long outputBytes,
      MeasuredTimes measured) {
    this(
        name,
        kind,
        shape,
        forwardFlops,
        backwardInputFlops,
        backwardWeightFlops,
        parameterCount,
        savedActivationBytes,
        outputBytes,
        measured,
        null);
  }

  /**
   * A layer read from a plan file, whose shape is the file's key map: typed by {@code kind} with
   * {@link LayerShape#of}, so the map's keys and values are kept exactly.
   */
  @JsonCreator
  private LayerSpec(
      @JsonProperty("name") String name,
      @JsonProperty("kind") LayerKind kind,
      @JsonProperty("shape") Map<String, Long> shape,
      @JsonProperty("forwardFlops") double forwardFlops,
      @JsonProperty("backwardInputFlops") double backwardInputFlops,
      @JsonProperty("backwardWeightFlops") double backwardWeightFlops,
      @JsonProperty("parameterCount") long parameterCount,
      @JsonProperty("savedActivationBytes") long savedActivationBytes,
      @JsonProperty("outputBytes") long outputBytes,
      @JsonProperty("measured") MeasuredTimes measured,
      @JsonProperty("activations") ActivationBytes activations) {
    this(
        name,
        kind,
        LayerShape.of(Objects.requireNonNull(kind, "kind"), Objects.requireNonNull(shape, "shape")),
        forwardFlops,
        backwardInputFlops,
        backwardWeightFlops,
        parameterCount,
        savedActivationBytes,
        outputBytes,
        measured,
        activations);
  }

  private static void flops(String field, double value) {
    Checks.nonNegative(field, value);
    if (value > ModelLimits.MAX_LAYER_FLOPS) {
      throw new BadInputException(
          field + " (" + value + ") exceeds the limit of " + ModelLimits.MAX_LAYER_FLOPS);
    }
  }

  public double backwardFlops() {
    return backwardInputFlops + backwardWeightFlops;
  }

  public boolean hasMeasuredTimes() {
    return measured != null;
  }

  /**
   * A shape dimension as an int size, for code that allocates by it.
   *
   * @param key the dimension's name, for the message
   * @throws BadInputException naming this layer, the key, the value and the limit when {@code
   *     value} is not in 1..Integer.MAX_VALUE
   */
  public int intDimension(String key, long value) {
    if (value <= 0 || value > Integer.MAX_VALUE) {
      throw new BadInputException(
          "layer '"
              + name
              + "' shape "
              + key
              + " ("
              + value
              + ") must be in 1.."
              + Integer.MAX_VALUE);
    }
    return (int) value;
  }
}
