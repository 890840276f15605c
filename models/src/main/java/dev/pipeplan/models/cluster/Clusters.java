package dev.pipeplan.models.cluster;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.Suggestions;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Device, link and cluster presets, and the one entry point that turns a command-line argument into
 * a {@link ClusterSpec}: a preset name, a JSON/YAML cluster file, or the shorthand {@code
 * DEVICE:NODESxPER_NODE} ({@code h100:128x8}, {@code a100-80gb:4x8}, {@code cpu:1x2}).
 *
 * <p>FLOP/s are <b>sustained</b>: {@value #SUSTAINED_FRACTION} of the dense datasheet peak, what
 * well-sized GEMMs reach in practice (Megatron-LM reports 52% of peak for whole training
 * iterations, bubbles and communication included; single large GEMMs reach 70 to 85%). Link
 * bandwidths are {@value #LINK_FRACTION} of the per-direction peak. Usable memory is the capacity
 * less {@value #RESERVED_GIB} GiB for the CUDA context, communication buffers and allocator
 * fragmentation. SM counts are the datasheets' (NVIDIA Tesla V100 whitepaper: 80; A100 Tensor Core
 * GPU Architecture whitepaper: 108; H100 Tensor Core GPU Architecture whitepaper, SXM5: 132; H200
 * SXM is an H100 die with more HBM: 132; B200: 148, two dies of 74, as Chips and Cheese, "Nvidia's
 * B200", 2025, reports). {@code docs/design.md} ("Models") lists the sources.
 */
public final class Clusters {
  /** Sustained fraction of datasheet peak FLOP/s assumed for every GPU preset. */
  public static final double SUSTAINED_FRACTION = 0.7;

  /** Sustained fraction of per-direction peak link bandwidth. */
  public static final double LINK_FRACTION = 0.8;

  /** GiB of each GPU's memory held back for the CUDA context, NCCL buffers and fragmentation. */
  public static final int RESERVED_GIB = 2;

  /**
   * Sustained fp32 FLOP/s of one CPU core running the executor's small matrix products: about a
   * sixth of an AVX2 core's FMA peak (2 FMA units x 8 lanes x 2 FLOP x 3 GHz = 96 GFLOP/s), because
   * the CPU models' matrices are small (hidden 64 to 256) and per-op dispatch dominates.
   * Deliberately conservative; the profiler measures the real rate.
   */
  public static final double CPU_FLOPS_PER_CORE = 16e9;

  private static final long GIB = 1L << 30;
  private static final double GB = 1e9;
  private static final double TERA = 1e12;
  private static final long MICRO = 1_000L;

  /** The most devices a cluster may have (shorthand or file); documented in docs/formats.md. */
  public static final long MAX_DEVICES = 1_000_000;

  private static final Pattern FILE_SHORTHAND = Pattern.compile("(.+):(\\d+)x(\\d+)");
  private static final Pattern SHORTHAND =
      Pattern.compile("([a-z0-9][a-z0-9._-]*):(\\d+)(?:x(\\d+))?");

  private static final LinkSpec NVLINK2 = link("nvlink2", 50 * GB, 5);
  private static final LinkSpec NVLINK3 = link("nvlink3", 300 * GB, 5);
  private static final LinkSpec NVLINK4 = link("nvlink4", 450 * GB, 5);
  private static final LinkSpec NVLINK5 = link("nvlink5", 900 * GB, 5);
  private static final LinkSpec PCIE4 = link("pcie4", 32 * GB, 10);
  private static final LinkSpec IB_EDR = link("ib-edr", 12.5 * GB, 10);
  private static final LinkSpec IB_HDR = link("ib-hdr", 25 * GB, 10);
  private static final LinkSpec IB_NDR = link("ib-ndr", 50 * GB, 10);
  private static final LinkSpec ROCE_400 = link("roce-400g", 50 * GB, 15);

  /** Threads of one process hand tensors over in memory: no latency, a memcpy's bandwidth. */
  private static final LinkSpec MEMORY = new LinkSpec("memory", 10 * GB, 0);

  private static final List<LinkSpec> LINKS =
      List.of(NVLINK2, NVLINK3, NVLINK4, NVLINK5, PCIE4, IB_EDR, IB_HDR, IB_NDR, ROCE_400, MEMORY);

  private static final List<DevicePreset> DEVICES =
      List.of(
          gpu(
              "v100",
              List.of("v100-32gb", "v100-sxm2"),
              15.7,
              0,
              125,
              0,
              0,
              32,
              900,
              NVLINK2,
              IB_EDR,
              80,
              "NVIDIA V100 SXM2 32GB (DGX-1): 125 TFLOP/s fp16 tensor cores, 15.7 fp32, no bf16; a GPU pair shares"
                  + " 2 NVLink2 links (50 GB/s per direction); EDR InfiniBand 100 Gb/s per GPU"),
          gpu(
              "a100-40gb",
              List.of("a100-sxm4-40gb"),
              19.5,
              156,
              312,
              312,
              0,
              40,
              1555,
              NVLINK3,
              IB_HDR,
              108,
              "NVIDIA A100 SXM4 40GB (DGX A100): 312 TFLOP/s fp16/bf16, 156 tf32; NVLink3 via NVSwitch 300 GB/s per"
                  + " direction; HDR InfiniBand 200 Gb/s per GPU"),
          gpu(
              "a100-80gb",
              List.of("a100", "a100-sxm4-80gb"),
              19.5,
              156,
              312,
              312,
              0,
              80,
              2039,
              NVLINK3,
              IB_HDR,
              108,
              "NVIDIA A100 SXM4 80GB (DGX A100): as a100-40gb with 80 GB HBM2e at 2.0 TB/s"),
          gpu(
              "h100-sxm",
              List.of("h100", "h100-80gb"),
              67,
              494.7,
              989.4,
              989.4,
              1978.9,
              80,
              3350,
              NVLINK4,
              IB_NDR,
              132,
              "NVIDIA H100 SXM5 80GB (DGX H100): 989 TFLOP/s dense bf16, 1979 fp8; NVLink4 via NVSwitch 450 GB/s"
                  + " per direction; NDR InfiniBand 400 Gb/s per GPU"),
          gpu(
              "h200",
              List.of("h200-sxm", "h200-141gb"),
              67,
              494.7,
              989.4,
              989.4,
              1978.9,
              141,
              4800,
              NVLINK4,
              IB_NDR,
              132,
              "NVIDIA H200 SXM 141GB: H100 compute with 141 GB HBM3e at 4.8 TB/s"),
          gpu(
              "b200",
              List.of("b200-sxm", "b200-180gb"),
              75,
              1125,
              2250,
              2250,
              4500,
              180,
              8000,
              NVLINK5,
              IB_NDR,
              148,
              "NVIDIA B200 (DGX B200, 1000 W): 2250 TFLOP/s dense bf16, 4500 fp8, 180 GB HBM3e at 8 TB/s"
                  + " (the DGX B200 datasheet's 1,440 GB and 64 TB/s over eight GPUs); NVLink5 via NVSwitch"
                  + " 900 GB/s per direction; ConnectX-7 400 Gb/s per GPU"),
          new DevicePreset(
              cpuDevice(1),
              List.of("local"),
              MEMORY,
              MEMORY,
              1,
              "the local CPU, one device per pipeline worker (core): "
                  + (long) (CPU_FLOPS_PER_CORE / 1e9)
                  + " GFLOP/s fp32 sustained per core (conservative), memory = the JVM's max memory shared by the"
                  + " workers, in-memory hand-offs with no latency"));

  private Clusters() {}

  /**
   * A cluster preset: its name, the shorthand it stands for, and aliases (accepted like the name,
   * and offered as "did you mean" candidates, so that "dgx-a100-80" suggests the 80 GB node).
   */
  private record ClusterPreset(String name, String shorthand, List<String> aliases) {
    static ClusterPreset of(String name, String shorthand, String... aliases) {
      return new ClusterPreset(name, shorthand, List.of(aliases));
    }

    boolean answersTo(String key) {
      return name.equals(key) || aliases.contains(key);
    }
  }

  private static final List<ClusterPreset> CLUSTER_PRESETS =
      List.of(
          ClusterPreset.of("dgx1-v100", "v100:1x8"),
          ClusterPreset.of("dgx-a100-40gb", "a100-40gb:1x8"),
          ClusterPreset.of("dgx-a100", "a100-80gb:1x8", "dgx-a100-80gb"),
          ClusterPreset.of("dgx-h100", "h100-sxm:1x8"),
          ClusterPreset.of("dgx-h200", "h200:1x8"),
          ClusterPreset.of("dgx-b200", "b200:1x8"),
          ClusterPreset.of("h100-superpod", "h100-sxm:32x8"),
          ClusterPreset.of("cpu-2", "cpu:1x2"),
          ClusterPreset.of("cpu-4", "cpu:1x4"));

  /**
   * Preset cluster names, in a fixed order; each device preset's name also works (one node of it).
   */
  public static List<String> presetNames() {
    List<String> names = new ArrayList<>();
    for (ClusterPreset p : CLUSTER_PRESETS) {
      names.add(p.name());
    }
    return List.copyOf(names);
  }

  /** The shorthand a preset cluster stands for ("dgx-h100" gives "h100-sxm:1x8"). */
  public static Optional<String> presetShorthand(String name) {
    String key = normalise(name);
    for (ClusterPreset p : CLUSTER_PRESETS) {
      if (p.answersTo(key)) {
        return Optional.of(p.shorthand());
      }
    }
    return Optional.empty();
  }

  /** Every device preset, in a fixed order. */
  public static List<DevicePreset> devicePresets() {
    return DEVICES;
  }

  /** Device preset names (without aliases), in a fixed order. */
  public static List<String> deviceNames() {
    List<String> names = new ArrayList<>();
    for (DevicePreset p : DEVICES) {
      names.add(p.name());
    }
    return List.copyOf(names);
  }

  /** Link presets by name ("nvlink4", "ib-ndr", "memory"), for cluster files. */
  public static List<LinkSpec> linkPresets() {
    return LINKS;
  }

  public static Optional<LinkSpec> findLink(String name) {
    String key = normalise(name);
    for (LinkSpec l : LINKS) {
      if (l.name().equals(key)) {
        return Optional.of(l);
      }
    }
    return Optional.empty();
  }

  public static Optional<DevicePreset> findDevice(String name) {
    String key = normalise(name);
    for (DevicePreset p : DEVICES) {
      if (p.name().equals(key) || p.aliases().contains(key)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * A device preset: v100, a100-40gb, a100-80gb (a100), h100-sxm (h100), h200, b200, cpu.
   *
   * @throws BadInputException for an unknown name, suggesting the closest
   */
  public static DeviceSpec device(String name) {
    return preset(name).device();
  }

  static DevicePreset preset(String name) {
    return findDevice(name)
        .orElseThrow(
            () ->
                new BadInputException(
                    "device '"
                        + name
                        + "' is unknown."
                        + Suggestions.maybe(name, allDeviceNames())
                        + " Known devices: "
                        + String.join(", ", deviceNames())));
  }

  /**
   * A cluster from a preset name, a JSON/YAML file, a device name (one node of it: eight GPUs, or
   * the CPU with one worker per core) or the shorthand {@code DEVICE:NODESxPER_NODE} ({@code
   * DEVICE:N} is one node of N).
   */
  public static ClusterSpec load(String nameOrFileOrShorthand) {
    Objects.requireNonNull(nameOrFileOrShorthand, "nameOrFileOrShorthand");
    String arg = nameOrFileOrShorthand.trim();
    if (arg.isEmpty()) {
      throw new BadInputException(
          "cluster must not be empty; give a preset (see 'pipeplan clusters list'),"
              + " a file or DEVICE:NODESxPER_NODE such as h100:4x8");
    }
    Optional<String> preset = presetShorthand(arg);
    if (preset.isPresent()) {
      ClusterSpec c = shorthand(preset.get());
      return new ClusterSpec(normalise(arg), c.groups(), c.intraNodeLink(), c.interNodeLink());
    }
    Matcher deviceShorthand = SHORTHAND.matcher(normalise(arg));
    if (deviceShorthand.matches() && findDevice(deviceShorthand.group(1)).isPresent()) {
      // a device's shorthand, even beside a file named like the device (docs/formats.md: presets,
      // devices and their shorthand come before files)
      return shorthand(normalise(arg));
    }
    Matcher resized = FILE_SHORTHAND.matcher(arg);
    if (resized.matches()
        && !Files.exists(pathOrEmpty(arg))
        && Files.isRegularFile(pathOrEmpty(resized.group(1)))) {
      return resized(arg, ClusterFile.read(pathOrEmpty(resized.group(1))), resized);
    }
    if (resized.matches() && looksLikeFile(resized.group(1))) {
      throw new BadInputException(resized.group(1) + ": no such file (in cluster '" + arg + "')");
    }
    Matcher m = SHORTHAND.matcher(normalise(arg));
    if (m.matches() && !Files.exists(pathOrEmpty(arg))) {
      return shorthand(normalise(arg));
    }
    Optional<DevicePreset> device = findDevice(arg);
    if (device.isPresent()) {
      int perNode =
          device.get().name().equals("cpu") ? Runtime.getRuntime().availableProcessors() : 8;
      return shorthand(device.get().name() + ":1x" + perNode);
    }
    Path path = pathOrEmpty(arg);
    if (!arg.isEmpty() && Files.isRegularFile(path)) {
      return ClusterFile.read(path);
    }
    if (looksLikeFile(arg)) {
      throw new BadInputException(arg + ": no such file");
    }
    List<String> known = new ArrayList<>();
    for (ClusterPreset p : CLUSTER_PRESETS) {
      known.add(p.name());
      known.addAll(p.aliases());
    }
    known.addAll(allDeviceNames());
    String hint =
        Suggestions.maybe(arg.contains(":") ? arg.substring(0, arg.indexOf(':')) : arg, known);
    throw new BadInputException(
        "cluster '"
            + arg
            + "' is not a preset, a file, or DEVICE:NODESxPER_NODE (such as"
            + " h100:4x8)."
            + hint
            + " See 'pipeplan clusters list'.");
  }

  /**
   * The file {@link #load} reads for this argument: the cluster file itself, or the {@code FILE} of
   * {@code FILE:NODESxPER_NODE}; empty for a preset, a device name or the shorthand. Commands use
   * it to refuse an output that would replace the cluster they were given.
   */
  public static Optional<Path> inputFile(String nameOrFileOrShorthand) {
    String arg = nameOrFileOrShorthand == null ? "" : nameOrFileOrShorthand.trim();
    if (arg.isEmpty() || presetShorthand(arg).isPresent()) {
      return Optional.empty();
    }
    Matcher resized = FILE_SHORTHAND.matcher(arg);
    if (resized.matches()
        && !Files.exists(pathOrEmpty(arg))
        && Files.isRegularFile(pathOrEmpty(resized.group(1)))) {
      return Optional.of(pathOrEmpty(resized.group(1)));
    }
    if (SHORTHAND.matcher(normalise(arg)).matches() && !Files.exists(pathOrEmpty(arg))) {
      return Optional.empty();
    }
    if (findDevice(arg).isPresent()) {
      return Optional.empty();
    }
    Path path = pathOrEmpty(arg);
    return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
  }

  /**
   * {@code FILE:NODESxPER_NODE}: the one device of a cluster file (such as what {@code pipeplan
   * calibrate} writes) on another number of nodes.
   */
  private static ClusterSpec resized(String text, ClusterSpec file, Matcher m) {
    if (file.groups().size() != 1) {
      throw new BadInputException(
          "cluster '"
              + text
              + "': "
              + m.group(1)
              + " has "
              + file.groups().size()
              + " device groups; FILE:NODESxPER_NODE needs a file with one");
    }
    int[] shape = shape(text, m.group(2), m.group(3));
    return ClusterSpec.of(
        text,
        file.groups().get(0).device(),
        shape[0],
        shape[1],
        file.intraNodeLink(),
        file.interNodeLink());
  }

  /**
   * Nodes and devices per node of a shorthand, checked: at most {@link #MAX_DEVICES} devices in all
   * (counted without overflow) and at least one of each.
   */
  private static int[] shape(String text, String nodesText, String perNodeText) {
    java.math.BigInteger bigNodes = new java.math.BigInteger(nodesText);
    java.math.BigInteger bigPerNode = new java.math.BigInteger(perNodeText);
    java.math.BigInteger total = bigNodes.multiply(bigPerNode);
    if (total.compareTo(java.math.BigInteger.valueOf(MAX_DEVICES)) > 0) {
      throw new BadInputException(
          "cluster '"
              + text
              + "' has "
              + total
              + " devices; at most "
              + MAX_DEVICES
              + " are supported");
    }
    int nodes = bigNodes.intValueExact();
    int perNode = bigPerNode.intValueExact();
    if (nodes < 1 || perNode < 1) {
      throw new BadInputException(
          "cluster '"
              + text
              + "': nodes and devices per node must be >= 1, got "
              + nodes
              + "x"
              + perNode);
    }
    return new int[] {nodes, perNode};
  }

  /** A path rather than a name: it has a folder or a file extension pipeplan reads. */
  private static boolean looksLikeFile(String text) {
    String a = text.toLowerCase(Locale.ROOT);
    return a.contains("/") || a.endsWith(".json") || a.endsWith(".yaml") || a.endsWith(".yml");
  }

  private static ClusterSpec shorthand(String text) {
    Matcher m = SHORTHAND.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a shorthand: " + text);
    }
    DevicePreset p =
        findDevice(m.group(1))
            .orElseThrow(
                () ->
                    new BadInputException(
                        "cluster '"
                            + text
                            + "': device '"
                            + m.group(1)
                            + "' is unknown."
                            + Suggestions.maybe(m.group(1), allDeviceNames())
                            + " Known devices: "
                            + String.join(", ", deviceNames())));
    int[] shape =
        shape(
            text,
            m.group(3) == null ? "1" : m.group(2),
            m.group(3) == null ? m.group(2) : m.group(3));
    int nodes = shape[0];
    int perNode = shape[1];
    DeviceSpec device = p.device();
    if (device.name().equals("cpu")) {
      if (nodes != 1) {
        throw new BadInputException(
            "cluster '"
                + text
                + "': the cpu device is this machine, so it has one node,"
                + " got "
                + nodes
                + ". Maybe use cpu:1x"
                + (long) nodes * perNode
                + ".");
      }
      device = cpuDevice(perNode);
    }
    return ClusterSpec.of(text, device, nodes, perNode, p.intraNodeLink(), p.interNodeLink());
  }

  /**
   * The local CPU as one of {@code workers} pipeline workers: one core's sustained fp32 rate and an
   * equal share of the JVM's maximum memory (also JavaCPP's default off-heap limit, which bounds
   * nd4j's tensors).
   */
  public static DeviceSpec cpuDevice(int workers) {
    if (workers < 1) {
      throw new BadInputException("cpu workers must be >= 1, got " + workers);
    }
    Map<DType, Double> flops = new EnumMap<>(DType.class);
    flops.put(DType.FP32, CPU_FLOPS_PER_CORE);
    long memory = Math.max(1, Runtime.getRuntime().maxMemory() / workers);
    return new DeviceSpec("cpu", flops, memory, 10 * GB, 20 * MICRO);
  }

  private static DevicePreset gpu(
      String name,
      List<String> aliases,
      double fp32Tflops,
      double tf32Tflops,
      double fp16Tflops,
      double bf16Tflops,
      double fp8Tflops,
      int memoryGib,
      double memoryGbPerSecond,
      LinkSpec intra,
      LinkSpec inter,
      int smCount,
      String description) {
    Map<DType, Double> flops = new EnumMap<>(DType.class);
    putIfPositive(flops, DType.FP32, fp32Tflops);
    putIfPositive(flops, DType.TF32, tf32Tflops);
    putIfPositive(flops, DType.FP16, fp16Tflops);
    putIfPositive(flops, DType.BF16, bf16Tflops);
    putIfPositive(flops, DType.FP8, fp8Tflops);
    DeviceSpec device =
        new DeviceSpec(
            name, flops, (memoryGib - RESERVED_GIB) * GIB, memoryGbPerSecond * GB, 20 * MICRO);
    return new DevicePreset(device, aliases, intra, inter, smCount, description);
  }

  private static void putIfPositive(Map<DType, Double> flops, DType dtype, double peakTflops) {
    if (peakTflops > 0) {
      flops.put(dtype, peakTflops * TERA * SUSTAINED_FRACTION);
    }
  }

  private static LinkSpec link(String name, double peakBytesPerSecond, long latencyMicros) {
    return new LinkSpec(name, peakBytesPerSecond * LINK_FRACTION, latencyMicros * MICRO);
  }

  static List<String> allDeviceNames() {
    List<String> names = new ArrayList<>();
    for (DevicePreset p : DEVICES) {
      names.add(p.name());
      names.addAll(p.aliases());
    }
    return names;
  }

  private static String normalise(String name) {
    return name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
  }

  private static Path pathOrEmpty(String arg) {
    try {
      return Path.of(arg);
    } catch (InvalidPathException e) {
      return Path.of("");
    }
  }
}
