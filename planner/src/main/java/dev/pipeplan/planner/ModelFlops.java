package dev.pipeplan.planner;

import dev.pipeplan.models.Checks;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.simulator.cost.roofline.DeviceRoofline;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The model FLOPs a training iteration does and the utilisation of the devices they give (MFU), as
 * practitioners compare runs: three times the forward's FLOPs (forward, and a backward of twice
 * them), attention counted in full and recomputation not counted. For a transformer that is {@code
 * 6·N + 12·L·s·h} per token (PaLM's and Megatron-LM's model FLOPs), so a plan's number compares
 * with a published MFU.
 *
 * @param perIteration model FLOPs of one iteration (the whole global batch)
 * @param perDevicePerSecond model FLOP/s per device over the predicted iteration
 * @param peakPerDevice the devices' mean dense datasheet peak for the training dtype (0 when a
 *     device has none: the CPU)
 */
public record ModelFlops(double perIteration, double perDevicePerSecond, double peakPerDevice) {

  public ModelFlops {
    Checks.nonNegative("perIteration", perIteration);
    Checks.nonNegative("perDevicePerSecond", perDevicePerSecond);
    Checks.nonNegative("peakPerDevice", peakPerDevice);
  }

  /**
   * @param model the model at the plan's sequence length
   * @param globalBatch samples per iteration
   * @param cluster the devices the plan runs on (all of them)
   * @param dtype the training dtype, whose peak the utilisation is of
   * @param iterationNanos the predicted iteration
   */
  public static ModelFlops of(
      ModelSpec model, int globalBatch, ClusterSpec cluster, DType dtype, long iterationNanos) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(dtype, "dtype");
    Checks.positive("global batch", globalBatch);
    Checks.positive("iteration", iterationNanos);
    double forward = 0;
    for (LayerSpec layer : model.layers()) {
      forward += layer.forwardFlops();
    }
    double perIteration = 3 * forward * globalBatch;
    int devices = cluster.deviceCount();
    double peak = 0;
    for (int d = 0; d < devices; d++) {
      DeviceSpec device = cluster.device(d);
      if (device.name().equals("cpu")) {
        peak = 0;
        break;
      }
      peak += DeviceRoofline.of(device, dtype).peakFlopsPerSecond();
    }
    return new ModelFlops(
        perIteration, perIteration / (iterationNanos / 1e9) / devices, peak / devices);
  }

  /**
   * "388.2 TFLOP/s per device, 39.2% of the dense bf16 peak (MFU)"; without a peak, the rate alone.
   */
  public String describe(DType dtype) {
    double rate = perDevicePerSecond;
    String text =
        rate >= 1e12
            ? String.format(Locale.ROOT, "%.1f TFLOP/s per device", rate / 1e12)
            : String.format(Locale.ROOT, "%.2f GFLOP/s per device", rate / 1e9);
    OptionalDouble mfu = utilization();
    if (mfu.isPresent()) {
      text +=
          String.format(
              Locale.ROOT,
              ", %.1f%% of the dense %s peak (MFU)",
              100 * mfu.getAsDouble(),
              dtype.name().toLowerCase(Locale.ROOT));
    }
    return text;
  }

  /** Model FLOP/s over the datasheet peak; empty on devices without one. */
  public OptionalDouble utilization() {
    return peakPerDevice > 0
        ? OptionalDouble.of(perDevicePerSecond / peakPerDevice)
        : OptionalDouble.empty();
  }
}
