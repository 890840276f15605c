package dev.pipeplan.models.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceEfficiency;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.Suggestions;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.InputNode;
import dev.pipeplan.models.io.Json;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * pipeplan's cluster file, JSON or YAML (see {@code docs/formats.md}, "Cluster files"). Devices and
 * links are preset names or inline objects; inline numbers take either the canonical units ({@code
 * memoryBytes}, {@code bandwidthBytesPerSecond}, {@code latencyNanos}) or the friendly ones ({@code
 * memoryGiB}, {@code bandwidthGBps}, {@code latencyMicros}), never both.
 */
public final class ClusterFile {
  private static final List<String> TOP_FIELDS =
      List.of("name", "groups", "intraNodeLink", "interNodeLink");
  private static final List<String> EFFICIENCY_FIELDS =
      List.of(
          "peakGemmEfficiency",
          "hbmEfficiency",
          "flashForwardEfficiency",
          "flashBackwardEfficiency",
          "source");
  private static final List<String> GROUP_FIELDS = List.of("device", "nodes", "devicesPerNode");
  private static final List<String> DEVICE_FIELDS =
      List.of(
          "name",
          "sustainedFlopsPerSecond",
          "sustainedTflops",
          "memoryBytes",
          "memoryGiB",
          "memoryBandwidthBytesPerSecond",
          "memoryBandwidthGBps",
          "launchOverheadNanos",
          "launchOverheadMicros",
          "efficiency");
  private static final List<String> LINK_FIELDS =
      List.of("name", "bandwidthBytesPerSecond", "bandwidthGBps", "latencyNanos", "latencyMicros");

  private ClusterFile() {}

  public static ClusterSpec read(Path file) {
    return fromNode(InputNode.read(file), defaultName(file));
  }

  public static ClusterSpec fromNode(InputNode root, String defaultName) {
    if (!root.isObject()) {
      throw root.error(
          "must be an object with 'groups' (and optionally 'name', 'intraNodeLink', 'interNodeLink')");
    }
    rejectUnknown(root, TOP_FIELDS);
    String name = root.optionalString("name").orElse(defaultName);
    List<InputNode> items = root.array("groups");
    if (items.isEmpty()) {
      throw root.error("groups", "must list at least one group of nodes");
    }
    List<DeviceGroup> groups = new ArrayList<>();
    DevicePreset firstPreset = null;
    long devices = 0;
    for (int i = 0; i < items.size(); i++) {
      InputNode g = items.get(i);
      if (!g.isObject()) {
        throw g.error("must be an object with 'device', 'nodes' and 'devicesPerNode'");
      }
      rejectUnknown(g, GROUP_FIELDS);
      int nodes = positiveInt(g, "nodes", Optional.of(1));
      int perNode = positiveInt(g, "devicesPerNode", Optional.empty());
      // counted in a long: two ints multiply past an int (2147483647 nodes of 2 made -2 devices)
      long groupDevices = (long) nodes * perNode;
      devices += groupDevices;
      if (devices > Clusters.MAX_DEVICES) {
        throw g.error(
            "has nodes x devicesPerNode = "
                + nodes
                + " x "
                + perNode
                + " = "
                + groupDevices
                + " devices"
                + (devices > groupDevices ? " (" + devices + " with the groups before it)" : "")
                + "; at most "
                + Clusters.MAX_DEVICES
                + " are supported");
      }
      DeviceSpec device;
      InputNode d = g.child("device").orElseThrow(() -> g.error("device", "is missing"));
      if (d.json().isTextual()) {
        String deviceName = d.json().asText();
        DevicePreset preset =
            Clusters.findDevice(deviceName)
                .orElseThrow(
                    () ->
                        g.error(
                            "device",
                            "'"
                                + deviceName
                                + "' is not a device preset."
                                + Suggestions.maybe(deviceName, Clusters.allDeviceNames())
                                + " Known: "
                                + String.join(", ", Clusters.deviceNames())
                                + "; or describe the device inline"));
        device = preset.name().equals("cpu") ? Clusters.cpuDevice(perNode) : preset.device();
        if (i == 0) {
          firstPreset = preset;
        }
      } else {
        device = device(g.object("device"));
      }
      groups.add(new DeviceGroup(device, nodes, perNode));
    }
    LinkSpec intra =
        link(root, "intraNodeLink", firstPreset == null ? null : firstPreset.intraNodeLink());
    LinkSpec inter =
        link(root, "interNodeLink", firstPreset == null ? null : firstPreset.interNodeLink());
    return new ClusterSpec(name, groups, intra, inter);
  }

  private static DeviceSpec device(InputNode d) {
    rejectUnknown(d, DEVICE_FIELDS);
    String name = d.string("name");
    Map<DType, Double> flops = new EnumMap<>(DType.class);
    String flopsField = exactlyOne(d, "sustainedFlopsPerSecond", "sustainedTflops");
    double scale = flopsField.equals("sustainedTflops") ? 1e12 : 1;
    InputNode rates = d.object(flopsField);
    for (String key : rates.fieldNames()) {
      DType dtype;
      try {
        dtype = DType.parse(key, key);
      } catch (BadInputException e) {
        throw rates.error(key, "is not a dtype; use fp32, tf32, fp16, bf16 or fp8");
      }
      double rate = rates.number(key);
      if (rate <= 0) {
        throw rates.error(key, "must be > 0, got " + rate);
      }
      flops.put(dtype, finite(rates, key, rate * scale));
    }
    if (flops.isEmpty()) {
      throw d.error(flopsField, "must give a rate for at least one dtype, e.g. {bf16: 600}");
    }
    String memoryField = exactlyOne(d, "memoryBytes", "memoryGiB");
    if (memoryField.equals("memoryGiB") && !(d.number(memoryField) < 0x1p63 / (1L << 30))) {
      // Math.round would saturate to 2^63 - 1 bytes, a size no device has, without a word
      throw d.error(
          memoryField, "must be below 8589934592 GiB (2^63 bytes), got " + d.number(memoryField));
    }
    long memory =
        memoryField.equals("memoryBytes")
            ? d.integer(memoryField)
            : Math.round(d.number(memoryField) * (1L << 30));
    if (memory <= 0) {
      throw d.error(memoryField, "must be > 0, got 0");
    }
    String bandwidthField = exactlyOne(d, "memoryBandwidthBytesPerSecond", "memoryBandwidthGBps");
    double bandwidth =
        finite(
            d,
            bandwidthField,
            d.number(bandwidthField) * (bandwidthField.endsWith("GBps") ? 1e9 : 1));
    if (bandwidth <= 0) {
      throw d.error(bandwidthField, "must be > 0, got 0");
    }
    long overhead = 0;
    if (d.has("launchOverheadNanos") && d.has("launchOverheadMicros")) {
      throw d.error("launchOverheadMicros", "cannot be given with launchOverheadNanos; give one");
    } else if (d.has("launchOverheadNanos")) {
      overhead = d.integer("launchOverheadNanos");
    } else if (d.has("launchOverheadMicros")) {
      overhead = Math.round(d.number("launchOverheadMicros") * 1e3);
    }
    DeviceEfficiency efficiency = null;
    Optional<InputNode> e = d.child("efficiency");
    if (e.isPresent()) {
      InputNode en = d.object("efficiency");
      rejectUnknown(en, EFFICIENCY_FIELDS);
      double[] values = new double[4];
      for (int k = 0; k < 4; k++) {
        String field = EFFICIENCY_FIELDS.get(k);
        values[k] = en.number(field);
        if (!(values[k] > 0 && values[k] <= 1)) {
          throw en.error(field, "must be in (0, 1], got " + values[k]);
        }
      }
      efficiency =
          new DeviceEfficiency(
              values[0],
              values[1],
              values[2],
              values[3],
              en.optionalString("source").orElse("the cluster file"));
    }
    return new DeviceSpec(name, flops, memory, bandwidth, overhead, efficiency);
  }

  private static LinkSpec link(InputNode root, String field, LinkSpec fallback) {
    Optional<InputNode> node = root.child(field);
    if (node.isEmpty()) {
      if (fallback == null) {
        throw root.error(
            field,
            "is missing: the first group's device is inline, so give the link (a preset such"
                + " as 'nvlink4' or {name, bandwidthGBps, latencyMicros})");
      }
      return fallback;
    }
    InputNode l = node.get();
    if (l.json().isTextual()) {
      String name = l.json().asText();
      return Clusters.findLink(name)
          .orElseThrow(
              () ->
                  root.error(
                      field,
                      "'"
                          + name
                          + "' is not a link preset."
                          + Suggestions.maybe(name, linkNames())
                          + " Known: "
                          + String.join(", ", linkNames())));
    }
    InputNode o = root.object(field);
    rejectUnknown(o, LINK_FIELDS);
    String bandwidthField = exactlyOne(o, "bandwidthBytesPerSecond", "bandwidthGBps");
    double bandwidth =
        finite(
            o,
            bandwidthField,
            o.number(bandwidthField) * (bandwidthField.endsWith("GBps") ? 1e9 : 1));
    if (bandwidth <= 0) {
      throw o.error(bandwidthField, "must be > 0, got 0");
    }
    long latency = 0;
    if (o.has("latencyNanos") && o.has("latencyMicros")) {
      throw o.error("latencyMicros", "cannot be given with latencyNanos; give one");
    } else if (o.has("latencyNanos")) {
      latency = o.integer("latencyNanos");
    } else if (o.has("latencyMicros")) {
      latency = Math.round(o.number("latencyMicros") * 1e3);
    }
    return new LinkSpec(o.optionalString("name").orElse(field), bandwidth, latency);
  }

  /**
   * A rate in canonical units, refused with the file's field when the unit's scale overflowed it
   * ({@code sustainedTflops: {bf16: 1e300}} is infinite FLOP/s).
   */
  private static double finite(InputNode node, String field, double canonical) {
    if (!Double.isFinite(canonical)) {
      throw node.error(field, "is too large: it overflows a number of its unit per second");
    }
    return canonical;
  }

  private static String exactlyOne(InputNode node, String canonical, String friendly) {
    boolean a = node.has(canonical);
    boolean b = node.has(friendly);
    if (a && b) {
      throw node.error(friendly, "cannot be given with " + canonical + "; give one");
    }
    if (!a && !b) {
      throw node.error(canonical, "is missing (or give " + friendly + ")");
    }
    return a ? canonical : friendly;
  }

  private static int positiveInt(InputNode node, String field, Optional<Integer> fallback) {
    Optional<Integer> v = node.optionalPositiveInt(field);
    if (v.isPresent()) {
      return v.get();
    }
    return fallback.orElseThrow(() -> node.error(field, "is missing"));
  }

  private static void rejectUnknown(InputNode node, List<String> known) {
    for (String field : node.fieldNames()) {
      if (!known.contains(field)) {
        throw node.error(field, "is not a known field." + Suggestions.maybe(field, known));
      }
    }
  }

  private static List<String> linkNames() {
    List<String> names = new ArrayList<>();
    for (LinkSpec l : Clusters.linkPresets()) {
      names.add(l.name());
    }
    return names;
  }

  /**
   * The cluster in canonical units: what {@link #write} writes and {@link #read} reads back to an
   * equal cluster.
   */
  public static ObjectNode toTree(ClusterSpec cluster) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    root.put("name", cluster.name());
    ArrayNode groups = root.putArray("groups");
    for (DeviceGroup g : cluster.groups()) {
      ObjectNode o = groups.addObject();
      ObjectNode d = o.putObject("device");
      DeviceSpec device = g.device();
      d.put("name", device.name());
      ObjectNode flops = d.putObject("sustainedFlopsPerSecond");
      device.sustainedFlopsPerSecond().forEach((dtype, rate) -> flops.put(dtype.id(), rate));
      d.put("memoryBytes", device.memoryBytes());
      d.put("memoryBandwidthBytesPerSecond", device.memoryBandwidthBytesPerSecond());
      d.put("launchOverheadNanos", device.launchOverheadNanos());
      DeviceEfficiency efficiency = device.efficiency();
      if (efficiency != null) {
        ObjectNode e = d.putObject("efficiency");
        e.put("peakGemmEfficiency", efficiency.peakGemmEfficiency());
        e.put("hbmEfficiency", efficiency.hbmEfficiency());
        e.put("flashForwardEfficiency", efficiency.flashForwardEfficiency());
        e.put("flashBackwardEfficiency", efficiency.flashBackwardEfficiency());
        e.put("source", efficiency.source());
      }
      o.put("nodes", g.nodes());
      o.put("devicesPerNode", g.devicesPerNode());
    }
    root.set("intraNodeLink", linkTree(cluster.intraNodeLink()));
    root.set("interNodeLink", linkTree(cluster.interNodeLink()));
    return root;
  }

  private static ObjectNode linkTree(LinkSpec link) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("name", link.name());
    o.put("bandwidthBytesPerSecond", link.bandwidthBytesPerSecond());
    o.put("latencyNanos", link.latencyNanos());
    return o;
  }

  public static String toJson(ClusterSpec cluster) {
    return Json.write(toTree(cluster));
  }

  public static String toYaml(ClusterSpec cluster) {
    try {
      return Json.yaml().writeValueAsString(toTree(cluster));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot write YAML: " + e.getMessage(), e);
    }
  }

  /** Writes the cluster atomically: YAML when the name ends in .yaml or .yml, JSON otherwise. */
  public static void write(ClusterSpec cluster, Path file) {
    AtomicFiles.writeString(file, InputNode.isYaml(file) ? toYaml(cluster) : toJson(cluster));
  }

  private static String defaultName(Path file) {
    String n = file.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot > 0 ? n.substring(0, dot) : n;
  }
}
