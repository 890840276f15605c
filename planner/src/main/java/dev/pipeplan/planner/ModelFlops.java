package dev.pipeplan.planner;

import dev.pipeplan.models.BlockPart;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LayerShape;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.simulator.cost.roofline.DeviceRoofline;
import java.util.ArrayList;
import java.util.List;
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
 * <p>Two things make the plain figure wrong, and the record keeps them so that {@link #describe}
 * says so: a device with no rate for the training dtype is priced (and its peak taken) at its fp32
 * rate, so a bf16 model on V100s is a utilisation of the fp32 peak, not of a bf16 peak the device
 * does not have; and a layer given by measured times alone (a measured model file, a PipeDream
 * graph) has no FLOPs, so a model of such layers has no model FLOPs at all, not zero.
 *
 * @param perIteration model FLOPs of one iteration (the whole global batch)
 * @param perDevicePerSecond model FLOP/s per device over the predicted iteration
 * @param peakPerDevice the devices' mean dense datasheet peak for the training dtype (0 when a
 *     device has none: the CPU)
 * @param peakName whose peak {@code peakPerDevice} is, as {@link #describe} ends: "bf16 peak (MFU)"
 *     for the training dtype's, or one that names the devices with no rate for it, whose fp32 peak
 *     it counts instead: "fp32 peak (MFU; v100 has no bf16 rate)"
 * @param layersWithoutFlops the model's layers that give measured times and no forward FLOPs, left
 *     out of {@code perIteration}
 * @param layers the model's layers
 * @param maskedShare the share of {@code perIteration} that a causal mask skips: half the attention
 *     square's (every transformer pipeplan builds is a decoder); a long sequence makes it large
 * @param fp8PeakPerDevice the devices' mean dense datasheet FP8 peak, which FP8 linears run at (0
 *     when a device has none)
 */
public record ModelFlops(
    double perIteration,
    double perDevicePerSecond,
    double peakPerDevice,
    String peakName,
    int layersWithoutFlops,
    int layers,
    double maskedShare,
    double fp8PeakPerDevice) {

  public ModelFlops {
    Checks.nonNegative("perIteration", perIteration);
    Checks.nonNegative("perDevicePerSecond", perDevicePerSecond);
    Checks.nonNegative("peakPerDevice", peakPerDevice);
    Objects.requireNonNull(peakName, "peakName");
    Checks.nonNegative("layersWithoutFlops", layersWithoutFlops);
    Checks.nonNegative("fp8PeakPerDevice", fp8PeakPerDevice);
    if (!(maskedShare >= 0 && maskedShare < 1)) {
      throw new IllegalArgumentException("maskedShare must be in [0, 1), got " + maskedShare);
    }
    if (layersWithoutFlops > layers) {
      throw new IllegalArgumentException(
          "layersWithoutFlops (" + layersWithoutFlops + ") exceeds layers (" + layers + ")");
    }
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
    double attention = 0;
    int withoutFlops = 0;
    for (LayerSpec layer : model.layers()) {
      forward += layer.forwardFlops();
      attention += attentionSquareFlops(layer);
      if (layer.forwardFlops() == 0 && layer.hasMeasuredTimes()) {
        withoutFlops++;
      }
    }
    double perIteration = 3 * forward * globalBatch;
    int devices = cluster.deviceCount();
    double peak = 0;
    double fp8Peak = 0;
    List<String> fp32Peak = new ArrayList<>();
    int atFp32 = 0;
    // by device group, not device by device: a cluster holds up to a million devices
    for (DeviceGroup group : cluster.groups()) {
      DeviceSpec device = group.device();
      if (device.name().equals("cpu")) {
        peak = 0;
        break;
      }
      if (!device.sustainedFlopsPerSecond().containsKey(dtype)) {
        atFp32 += group.deviceCount();
        if (!fp32Peak.contains(device.name())) {
          fp32Peak.add(device.name());
        }
      }
      DeviceRoofline roofline = DeviceRoofline.of(device, dtype);
      peak += group.deviceCount() * roofline.peakFlopsPerSecond();
      fp8Peak += group.deviceCount() * roofline.fp8PeakFlopsPerSecond();
    }
    return new ModelFlops(
        perIteration,
        perIteration / (iterationNanos / 1e9) / devices,
        peak / devices,
        peakName(dtype, fp32Peak, atFp32 == devices),
        withoutFlops,
        model.layers().size(),
        forward > 0 ? Math.min(0.5, 0.5 * attention / forward) : 0,
        peak == 0 ? 0 : fp8Peak / devices);
  }

  /**
   * A block's QKᵀ and softmax·V per sample, forward, counted in full: 4·s²·a·d (a·d = h unless the
   * block sets its head width); 0 for other layers and for pieces without the attention core.
   */
  private static double attentionSquareFlops(LayerSpec layer) {
    if (layer.shape() instanceof LayerShape.TransformerBlock block
        && block.blockPart().has(BlockPart.Step.ATTENTION_CORE)
        && block.seq().isPresent()
        && block.attentionWidth().isPresent()) {
      double seq = block.seq().getAsLong();
      return 4 * seq * seq * block.attentionWidth().getAsLong();
    }
    return 0;
  }

  /**
   * From this share of skipped FLOPs on (a sequence of about 16K tokens for a Llama-class model),
   * {@link #describe} says what the utilisation is without them.
   */
  static final double NOTED_MASKED_SHARE = 0.1;

  /** False when no layer of the model gives FLOPs (a measured model file). */
  public boolean known() {
    return perIteration > 0 || layersWithoutFlops == 0;
  }

  /**
   * "388.2 TFLOP/s per device, 39.2% of the dense bf16 peak (MFU)"; without a peak, the rate alone;
   * "not known" for a model whose layers give no FLOPs.
   *
   * @param dtype the training dtype: the one given to {@link #of}, which named the peak already
   */
  public String describe(DType dtype) {
    Objects.requireNonNull(dtype, "dtype");
    if (!known()) {
      return "not known: the model's layers give measured times, not FLOPs";
    }
    double rate = perDevicePerSecond;
    String text =
        rate >= 1e12
            ? String.format(Locale.ROOT, "%.1f TFLOP/s per device", rate / 1e12)
            : String.format(Locale.ROOT, "%.2f GFLOP/s per device", rate / 1e9);
    OptionalDouble mfu = utilization();
    if (mfu.isPresent()) {
      text +=
          String.format(Locale.ROOT, ", %.1f%% of the dense %s", 100 * mfu.getAsDouble(), peakName);
    }
    if (mfu.isPresent() && maskedShare >= NOTED_MASKED_SHARE) {
      text +=
          String.format(
              Locale.ROOT,
              "; the attention square, counted in full as PaLM and Megatron-LM count it, is %.0f%%"
                  + " of these FLOPs: without the half a causal mask skips, %.1f%%",
              200 * maskedShare,
              100 * mfu.getAsDouble() * (1 - maskedShare));
    }
    if (layersWithoutFlops > 0) {
      text +=
          String.format(
              Locale.ROOT,
              "; %d of the %d layers give measured times, not FLOPs, and are not counted",
              layersWithoutFlops,
              layers);
    }
    return text;
  }

  /**
   * {@link #describe(DType)} of a training spec's dtype; with FP8 linears it says that the
   * utilisation is of the peak above, which the FP8 GEMMs ran at a multiple of: twice a 16-bit peak
   * on the presets, but a device's own rates (or a peak taken at fp32) give another.
   */
  public String describe(TrainingSpec training) {
    Objects.requireNonNull(training, "training");
    String text = describe(training.dtype());
    if (training.fp8Linears() && utilization().isPresent() && fp8PeakPerDevice > 0) {
      double times = fp8PeakPerDevice / peakPerDevice;
      String multiple =
          String.format(Locale.ROOT, "%.1f", times).equals("2.0")
              ? "twice the " + training.dtype().id() + " one"
              : String.format(Locale.ROOT, "%.1f times the one above", times);
      text +=
          "; the blocks' linear GEMMs ran in FP8, whose peak is "
              + multiple
              + ", so this utilisation can pass what the GEMMs reach";
    }
    return text;
  }

  /**
   * "bf16 peak (MFU)"; "fp32 peak (MFU; v100 has no bf16 rate)" when no device has a rate for the
   * dtype; "bf16 peak (MFU; fp32 for oldgpu, which has no bf16 rate)" when some have none.
   */
  private static String peakName(DType dtype, List<String> atFp32, boolean allAtFp32) {
    String id = dtype.id();
    if (atFp32.isEmpty()) {
      return id + " peak (MFU)";
    }
    String names = String.join(" and ", atFp32);
    String have = atFp32.size() == 1 ? "has" : "have";
    return allAtFp32
        ? "fp32 peak (MFU; " + names + " " + have + " no " + id + " rate)"
        : id + " peak (MFU; fp32 for " + names + ", which " + have + " no " + id + " rate)";
  }

  /**
   * Model FLOP/s over the datasheet peak; empty on devices without one or a model without FLOPs.
   */
  public OptionalDouble utilization() {
    return peakPerDevice > 0 && !(perIteration == 0 && layersWithoutFlops > 0)
        ? OptionalDouble.of(perDevicePerSecond / peakPerDevice)
        : OptionalDouble.empty();
  }
}
