package dev.pipeplan.models;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Measured per-layer times of one model on one backend, taken at several micro-batch sizes, with a
 * fitted line per layer and action so that a cost model can interpolate to sizes that were not
 * measured.
 *
 * @param modelName the model the layers belong to
 * @param backend the backend that ran them ("cpu", "cuda")
 * @param machine a description of the machine (processor, cores, threads per worker, JVM)
 * @param layers one entry per layer, in model order
 * @param handoffLatencyNanos fixed time to hand a tensor from one worker to the next
 * @param handoffBytesPerSecond bandwidth of that hand-off
 * @param repeatability how steady the measurements were (unknown for a profile written before it
 *     was recorded, or read from another tool)
 * @param calibration the corrections {@code pipeplan calibrate} applied to the layers' times, one
 *     per (layer kind, action type), sorted; empty for a profile as measured (and when absent in a
 *     file)
 * @param sequenceLength the tokens per sample the layers were measured at; 0 when unknown (a
 *     profile written before it was recorded, or one without a sequence)
 */
public record Profile(
    String modelName,
    String backend,
    String machine,
    List<LayerProfile> layers,
    long handoffLatencyNanos,
    double handoffBytesPerSecond,
    Repeatability repeatability,
    List<Correction> calibration,
    @JsonSetter(nulls = Nulls.AS_EMPTY) @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        int sequenceLength) {

  public Profile {
    Checks.nonBlank("profile modelName", modelName);
    Checks.nonBlank("profile backend", backend);
    Objects.requireNonNull(machine, "machine");
    layers = List.copyOf(Objects.requireNonNull(layers, "layers"));
    Checks.nonNegative("profile handoffLatencyNanos", handoffLatencyNanos);
    Checks.positive("profile handoffBytesPerSecond", handoffBytesPerSecond);
    calibration = calibration == null ? List.of() : List.copyOf(calibration);
    repeatability = repeatability == null ? Repeatability.unknown() : repeatability;
    Checks.nonNegative("profile sequenceLength", sequenceLength);
    if (sequenceLength > ModelLimits.MAX_SEQUENCE) {
      throw new BadInputException(
          "profile sequenceLength must be at most "
              + ModelLimits.MAX_SEQUENCE
              + ", got "
              + sequenceLength);
    }
    if (handoffLatencyNanos > MAX_NANOS) {
      throw new BadInputException(
          "profile handoffLatencyNanos must be at most "
              + (long) MAX_NANOS
              + " (10^9 ms), got "
              + handoffLatencyNanos);
    }
    if (!(handoffBytesPerSecond >= MIN_HANDOFF_BYTES_PER_SECOND)
        || Double.isInfinite(handoffBytesPerSecond)) {
      throw new BadInputException(
          "profile handoffBytesPerSecond must be finite and at least "
              + MIN_HANDOFF_BYTES_PER_SECOND
              + " (1 MB/s), got "
              + handoffBytesPerSecond);
    }
    Set<String> names = new HashSet<>();
    for (LayerProfile layer : layers) {
      if (!names.add(layer.layerName())) {
        throw new BadInputException(
            "profile layers name '" + layer.layerName() + "' twice; each layer is profiled once");
      }
    }
  }

  /** The slowest hand-off a profile may state: 1 MB/s, far below any machine's memory copy. */
  public static final double MIN_HANDOFF_BYTES_PER_SECOND = 1e6;

  /** The longest time one layer's action may take: 10^9 ms, as in model files. */
  public static final double MAX_NANOS = ModelLimits.MAX_LAYER_MILLIS * 1e6;

  /** The same profile, recorded as measured at {@code tokens} per sample. */
  public Profile withSequenceLength(int tokens) {
    return new Profile(
        modelName,
        backend,
        machine,
        layers,
        handoffLatencyNanos,
        handoffBytesPerSecond,
        repeatability,
        calibration,
        tokens);
  }

  /**
   * How repeatable a profile is: the layers were measured in two passes, one after the other, each
   * of {@code repeatsPerPass} repeats per layer, size and action. Spreads are relative to the
   * median; -1 means unknown.
   *
   * @param repeatsPerPass repeats per pass
   * @param medianRepeatSpread over every (layer, size, action), the median of (slowest - fastest) /
   *     median of its repeats
   * @param medianPassDifference the median over the same of |pass A - pass B| / the kept value,
   *     each pass's median against the other's: how far two profiles taken in a row differ
   * @param maxPassDifference the largest such difference
   */
  public record Repeatability(
      int repeatsPerPass,
      double medianRepeatSpread,
      double medianPassDifference,
      double maxPassDifference) {
    public static Repeatability unknown() {
      return new Repeatability(0, -1, -1, -1);
    }
  }

  /**
   * One fitted correction: every layer of kind {@code layerKind} had its {@code action} times
   * multiplied by {@code factor}.
   *
   * @param layerKind the layer kind's id ("transformer_block")
   * @param action "F", "I" or "W"
   * @param factor the multiplier, above 0
   * @param actionCount how many measured actions informed it (0: held at 1, nothing measured)
   * @param source the run files it was fitted from
   */
  public record Correction(
      String layerKind, String action, double factor, int actionCount, String source) {
    public Correction {
      Checks.nonBlank("correction layerKind", layerKind);
      Checks.nonBlank("correction action", action);
      Checks.positive("correction factor", factor);
      Checks.nonNegative("correction actionCount", actionCount);
      Objects.requireNonNull(source, "source");
    }
  }

  /** The link a profile's hand-off measurements describe. */
  public LinkSpec handoffLink() {
    return new LinkSpec(backend + "-handoff", handoffBytesPerSecond, handoffLatencyNanos);
  }

  /**
   * The largest micro-batch size at which every layer was measured: beyond it the fitted lines
   * extrapolate. 0 when some layer has no samples (nothing is known).
   */
  public int largestMeasuredMicroBatchSize() {
    int largest = Integer.MAX_VALUE;
    for (LayerProfile layer : layers) {
      int own = 0;
      for (MeasuredTimes sample : layer.samples()) {
        own = Math.max(own, sample.microBatchSize());
      }
      largest = Math.min(largest, own);
    }
    return layers.isEmpty() ? 0 : largest;
  }

  /**
   * One layer's measurements.
   *
   * @param layerName the layer's name in the model
   * @param samples medians at each measured micro-batch size, sorted by size
   * @param forward fitted forward time
   * @param backwardInput fitted input-gradient time
   * @param backwardWeight fitted weight-gradient time
   */
  public record LayerProfile(
      String layerName,
      List<MeasuredTimes> samples,
      LinearFit forward,
      LinearFit backwardInput,
      LinearFit backwardWeight) {
    public LayerProfile {
      Checks.nonBlank("layerName", layerName);
      samples = List.copyOf(Objects.requireNonNull(samples, "samples"));
      Objects.requireNonNull(forward, "forward");
      Objects.requireNonNull(backwardInput, "backwardInput");
      Objects.requireNonNull(backwardWeight, "backwardWeight");
      int largest = 0;
      for (MeasuredTimes sample : samples) {
        largest = Math.max(largest, sample.microBatchSize());
      }
      if (largest > 0) {
        requireNonNegativeAt(layerName, "forward", forward, largest);
        requireNonNegativeAt(layerName, "backwardInput", backwardInput, largest);
        requireNonNegativeAt(layerName, "backwardWeight", backwardWeight, largest);
      }
    }

    /**
     * A fitted line may dip below zero between or before its samples (it is clamped there), but not
     * at the largest micro-batch size it was fitted on: such a line was not fitted to these
     * samples, and would time every action as free.
     */
    private static void requireNonNegativeAt(
        String layer, String action, LinearFit line, int microBatchSize) {
      double at = line.fixedNanos() + line.perSampleNanos() * microBatchSize;
      if (!(at >= 0)) {
        throw new BadInputException(
            "layer '"
                + layer
                + "': the "
                + action
                + " line (fixedNanos "
                + line.fixedNanos()
                + ", perSampleNanos "
                + line.perSampleNanos()
                + ") gives "
                + at
                + " ns at micro-batch size "
                + microBatchSize
                + ", the largest measured; it must be >= 0 there");
      }
    }
  }

  /**
   * A time as a line in the micro-batch size: {@code fixedNanos + perSampleNanos * b}, never below
   * zero.
   *
   * @param fixedNanos the intercept
   * @param perSampleNanos the slope
   */
  public record LinearFit(double fixedNanos, double perSampleNanos) {
    public LinearFit {
      requireTime("fixedNanos", fixedNanos);
      requireTime("perSampleNanos", perSampleNanos);
    }

    /**
     * A coefficient is finite and at most {@link #MAX_NANOS} either way (a line may dip below 0).
     */
    private static void requireTime(String field, double value) {
      if (!(Math.abs(value) <= MAX_NANOS)) {
        throw new BadInputException(
            field + " must be finite and within +-" + MAX_NANOS + " ns (10^9 ms), got " + value);
      }
    }

    public long nanosAt(int microBatchSize) {
      return Math.max(0L, Math.round(fixedNanos + perSampleNanos * microBatchSize));
    }
  }
}
