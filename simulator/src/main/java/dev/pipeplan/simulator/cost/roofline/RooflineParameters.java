package dev.pipeplan.simulator.cost.roofline;

import dev.pipeplan.models.DeviceEfficiency;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.cluster.DevicePreset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What one device reaches of its datasheet numbers, op kind by op kind: the numbers a future {@code
 * pipeplan calibrate} fits. Each preset's values come from microbenchmark-level public
 * measurements, never from the whole-training-run rows of {@code docs/validation.md}; {@code
 * docs/design.md} ("Cost models") lists the sources.
 *
 * <p>A device's datasheet peak is read back from its {@link DeviceSpec} as the sustained rate over
 * {@link Clusters#SUSTAINED_FRACTION} (the presets store 70% of peak); {@code peakGemmEfficiency}
 * then says what fraction of that peak the best large GEMM reaches.
 *
 * @param device the device preset's name these parameters belong to
 * @param peakGemmEfficiency fraction of the dense datasheet peak that the best large GEMM reaches
 * @param hbmEfficiency fraction of the datasheet memory bandwidth a streaming kernel reaches
 * @param flashForwardEfficiency fraction of peak the fused attention forward reaches (on the FLOPs
 *     it really runs: half of a causal mask's square)
 * @param flashBackwardEfficiency the same for the fused attention backward
 * @param kernelLaunchNanos the least time one kernel takes: launches are asynchronous, so a kernel
 *     that runs longer hides the next launch, and only kernels shorter than this are launch-bound
 * @param tileRows rows (m) of one GEMM output tile, the unit a thread block computes
 * @param tileColumns columns (n) of one GEMM output tile
 * @param smCount streaming multiprocessors: tiles run in waves of this many
 * @param source where each number comes from, in one line
 */
public record RooflineParameters(
    String device,
    double peakGemmEfficiency,
    double hbmEfficiency,
    double flashForwardEfficiency,
    double flashBackwardEfficiency,
    long kernelLaunchNanos,
    int tileRows,
    int tileColumns,
    int smCount,
    String source) {

  public RooflineParameters {
    Objects.requireNonNull(device, "device");
    fraction(device, "peakGemmEfficiency", peakGemmEfficiency);
    fraction(device, "hbmEfficiency", hbmEfficiency);
    fraction(device, "flashForwardEfficiency", flashForwardEfficiency);
    fraction(device, "flashBackwardEfficiency", flashBackwardEfficiency);
    if (kernelLaunchNanos < 0) {
      throw new IllegalArgumentException(
          "roofline '" + device + "' kernelLaunchNanos must be >= 0, got " + kernelLaunchNanos);
    }
    positive(device, "tileRows", tileRows);
    positive(device, "tileColumns", tileColumns);
    positive(device, "smCount", smCount);
    Objects.requireNonNull(source, "source");
  }

  /**
   * The devices whose fused-attention efficiencies are those of FlashAttention-3 and cuDNN's
   * kernels (Hopper and later), which FlashAttention-2's kernels do not reach.
   */
  private static final java.util.Set<String> BEYOND_FLASH_ATTENTION_2 =
      java.util.Set.of("h100-sxm", "h200", "b200");

  /**
   * What FlashAttention-2's kernels reach of the fused-attention efficiencies on this device: 0.62
   * on Hopper and later, the ratio of FlashAttention-2's to cuDNN's speed on H100 SXM5 at head
   * dimension 128 in Shah et al. (FlashAttention-3, arXiv:2407.08608, figures 5 and 7: forward 335
   * against 539 TFLOP/s causal and 370 against 595 non-causal at 16K tokens, backward 322 against
   * 516), the kernels the fits on Megatron-Core runs describe; 1 on earlier GPUs, whose fused
   * attention is FlashAttention-2's.
   */
  public double flashAttention2Share() {
    return BEYOND_FLASH_ATTENTION_2.contains(device) ? 0.62 : 1;
  }

  private static void fraction(String device, String field, double value) {
    if (!(value > 0 && value <= 1)) {
      throw new IllegalArgumentException(
          "roofline '" + device + "' " + field + " must be in (0, 1], got " + value);
    }
  }

  private static void positive(String device, String field, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(
          "roofline '" + device + "' " + field + " must be >= 1, got " + value);
    }
  }

  /**
   * 128×128 output tiles: one of the thread-block tiles cuBLAS and CUTLASS pick for large fp16/bf16
   * GEMMs on Volta, Ampere and Hopper (NVIDIA, "Matrix Multiplication Background User's Guide",
   * DU-09799-001, 2023, section 2.3 lists 256×128, 128×128 and smaller; section 3 defines tile and
   * wave quantisation). The middle of the list, so neither quantisation effect is overstated.
   */
  static final int TILE = 128;

  /**
   * The least time of one kernel: CUDA launches take a few microseconds of host time each (NVIDIA,
   * "Getting Started with CUDA Graphs", 2019: about 3 µs per short kernel launched from a stream),
   * hidden behind any kernel that runs longer.
   */
  static final long KERNEL_LAUNCH_NANOS = 3_000;

  /**
   * What {@code pipeplan calibrate --measurements scripts/validation-runs.json} fits for each
   * preset device (docs/validation.md); a test checks that it still does. A preset without an entry
   * keeps its microbenchmark values.
   */
  private static final DeviceEfficiency H100_FITTED =
      new DeviceEfficiency(
          0.525,
          0.612,
          0.571,
          0.408,
          "fitted by pipeplan calibrate to the 11 h100-sxm runs of"
              + " scripts/validation-runs.json (Megatron-LM README, Llama 3 405B)");

  private static final DeviceEfficiency A100_FITTED =
      new DeviceEfficiency(
          0.822,
          0.594,
          0.650,
          0.550,
          "fitted by pipeplan calibrate to the 7 a100-80gb runs of"
              + " scripts/validation-runs.json (BLOOM, OPT, Korthikanti et al., Megatron-LM's 2021"
              + " GPT-3 example)");

  private static final Map<String, DeviceEfficiency> FITTED =
      Collections.unmodifiableMap(
          new TreeMap<>(
              Map.of(
                  "h100-sxm",
                  H100_FITTED,
                  // The same GH100 die, SMs and clocks: the H100's fit is its best estimate; with
                  // the prior instead (0.75 of peak against 0.52) an H200 planned 28% faster than
                  // an H100 on Llama-3-8B, beyond what its memory could give.
                  "h200",
                  H100_FITTED.withSource(
                      "the h100-sxm fit (the H200 is the same GH100 compute with HBM3e; no published"
                          + " H200 run fitted): "
                          + H100_FITTED.source()),
                  // A new architecture, but no published B200 run to fit: the H100's fit keeps the
                  // two comparable (with the prior a B200 would plan 3.2 times an H100's GEMM rate,
                  // where MLPerf Training 4.1 measured about 2.2 times per GPU on GPT-3).
                  "b200",
                  H100_FITTED.withSource(
                      "the h100-sxm fit, assumed (no published B200 run fitted yet; calibrate on"
                          + " your own runs): "
                          + H100_FITTED.source()),
                  "a100-80gb",
                  A100_FITTED,
                  // The same GA100 die: with its prior (HBM at 0.88 of 1.56 TB/s) the 40 GB part
                  // moved bytes faster than the fitted 80 GB one (0.61 of 2.04 TB/s).
                  "a100-40gb",
                  A100_FITTED.withSource(
                      "the a100-80gb fit (the same GA100 compute with HBM2; no published 40 GB"
                          + " run fitted): "
                          + A100_FITTED.source()))));

  private static final List<RooflineParameters> PRESETS =
      List.of(
          gpu(
              "v100",
              0.80,
              0.85,
              0.50,
              0.40,
              "V100: large fp16 cuBLAS GEMMs ~0.8 of the 125 TFLOP/s peak and copies ~0.85 of 900"
                  + " GB/s (typical published microbenchmarks; to be refitted by calibrate);"
                  + " FlashAttention-2 has no Volta kernel, so memory-efficient attention below A100's"),
          gpu(
              "a100-40gb",
              0.82,
              0.88,
              0.65,
              0.55,
              "A100: large bf16 cuBLAS GEMMs 0.80-0.85 of the 312 TFLOP/s peak and HBM copies"
                  + " ~0.88 of datasheet bandwidth (typical published microbenchmarks; to be refitted"
                  + " by calibrate); attention: FlashAttention-2 (Dao, arXiv:2307.08691) reaches 50-73%"
                  + " of peak on A100, the backward below the forward"),
          gpu(
              "a100-80gb",
              0.82,
              0.88,
              0.65,
              0.55,
              "A100 80GB: as a100-40gb (same SMs and clocks), HBM2e at 2.0 TB/s"),
          gpu(
              "h100-sxm",
              0.75,
              0.90,
              0.70,
              0.50,
              "H100 SXM: large bf16 cuBLAS GEMMs 0.75-0.8 of the 989 TFLOP/s dense peak (NVIDIA,"
                  + " 'New cuBLAS 12.0 Features and Matrix Multiplication Performance on NVIDIA Hopper"
                  + " GPUs', 2023) and HBM3 copies ~0.9 of 3.35 TB/s (typical published"
                  + " microbenchmarks; to be refitted by calibrate); attention: FlashAttention-3 (Shah"
                  + " et al., arXiv:2407.08608) forward up to 740 TFLOP/s bf16 (75%), backward 1.5-1.75x"
                  + " FlashAttention-2's, which reaches ~35% on H100"),
          gpu(
              "h200",
              0.75,
              0.90,
              0.70,
              0.50,
              "H200: the H100's compute (as h100-sxm), HBM3e at 4.8 TB/s at the same fraction"),
          gpu(
              "b200",
              0.75,
              0.90,
              0.70,
              0.50,
              "B200: no published microbenchmark set adopted yet; the H100's prior (as h100-sxm)"),
          new RooflineParameters(
              "cpu",
              Clusters.SUSTAINED_FRACTION,
              1,
              Clusters.SUSTAINED_FRACTION,
              Clusters.SUSTAINED_FRACTION,
              0,
              1,
              1,
              1,
              "the local CPU: no tiles, waves or launches; every FLOP at the device's sustained"
                  + " rate, every byte at its memory bandwidth"));

  private static RooflineParameters gpu(
      String name,
      double peakGemmEfficiency,
      double hbmEfficiency,
      double flashForward,
      double flashBackward,
      String source) {
    DevicePreset preset =
        Clusters.findDevice(name)
            .orElseThrow(() -> new IllegalStateException("no device preset " + name));
    return new RooflineParameters(
        name,
        peakGemmEfficiency,
        hbmEfficiency,
        flashForward,
        flashBackward,
        KERNEL_LAUNCH_NANOS,
        TILE,
        TILE,
        preset.smCount(),
        source);
  }

  /** The parameters of every device preset, in the presets' order. */
  public static List<RooflineParameters> presets() {
    return PRESETS;
  }

  /**
   * Parameters for a device with no preset (a cluster file's own device): FLOPs at its sustained
   * rate and bytes at its full bandwidth, with no tiles, waves or launches, which is what the
   * device record itself states.
   */
  public static RooflineParameters generic(String device) {
    return new RooflineParameters(
        device,
        Clusters.SUSTAINED_FRACTION,
        1,
        Clusters.SUSTAINED_FRACTION,
        Clusters.SUSTAINED_FRACTION,
        0,
        1,
        1,
        1,
        "no preset: the device's own sustained FLOP/s and memory bandwidth");
  }

  /**
   * The parameters for a device: its preset's when the device's name is a preset's name or alias,
   * or starts with one followed by '-' (the longest such: "h100-sxm-memory-unchecked" is an H100);
   * otherwise {@link #generic}; with the device's own fitted efficiencies where it has them.
   */
  public static RooflineParameters of(DeviceSpec device) {
    Objects.requireNonNull(device, "device");
    RooflineParameters base = prior(device.name());
    if (device.efficiency() != null) {
      return base.with(device.efficiency());
    }
    DeviceEfficiency fitted = FITTED.get(base.device());
    return fitted == null ? base : base.with(fitted);
  }

  /**
   * The microbenchmark-level parameters of a device's preset (the start and the prior of {@code
   * pipeplan calibrate}), or {@link #generic} without a preset.
   */
  public static RooflineParameters prior(String deviceName) {
    Objects.requireNonNull(deviceName, "deviceName");
    return preset(deviceName).orElseGet(() -> generic(deviceName));
  }

  /** The presets' efficiencies as fitted by calibrate, where they have been. */
  public static Map<String, DeviceEfficiency> fitted() {
    return FITTED;
  }

  /** These tiles, waves and launches with fitted efficiencies. */
  public RooflineParameters with(DeviceEfficiency fitted) {
    return new RooflineParameters(
        device,
        fitted.peakGemmEfficiency(),
        fitted.hbmEfficiency(),
        fitted.flashForwardEfficiency(),
        fitted.flashBackwardEfficiency(),
        kernelLaunchNanos,
        tileRows,
        tileColumns,
        smCount,
        fitted.source());
  }

  /** The efficiencies alone, as a device file states them. */
  public DeviceEfficiency efficiency() {
    return new DeviceEfficiency(
        peakGemmEfficiency, hbmEfficiency, flashForwardEfficiency, flashBackwardEfficiency, source);
  }

  static Optional<RooflineParameters> preset(String deviceName) {
    String name = deviceName.toLowerCase(Locale.ROOT);
    RooflineParameters best = null;
    int bestLength = -1;
    for (DevicePreset p : Clusters.devicePresets()) {
      List<String> names = new ArrayList<>(p.aliases());
      names.add(p.name());
      for (String n : names) {
        boolean matches = name.equals(n) || name.startsWith(n + "-");
        if (matches && n.length() > bestLength) {
          bestLength = n.length();
          best = byPreset(p.name());
        }
      }
    }
    return Optional.ofNullable(best);
  }

  private static RooflineParameters byPreset(String presetName) {
    for (RooflineParameters r : PRESETS) {
      if (r.device().equals(presetName)) {
        return r;
      }
    }
    throw new IllegalStateException("no roofline parameters for device preset " + presetName);
  }
}
