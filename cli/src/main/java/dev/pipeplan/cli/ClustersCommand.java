package dev.pipeplan.cli;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.models.cluster.ClusterFile;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.cluster.DevicePreset;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pipeplan clusters}: the device and cluster presets, and one cluster in detail. */
@Command(
    name = "clusters",
    mixinStandardHelpOptions = true,
    description = "List the device and cluster presets, show a cluster.",
    subcommands = {ClustersCommand.ListPresets.class, ClustersCommand.Show.class})
final class ClustersCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code pipeplan clusters list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the device and cluster presets.")
  static final class ListPresets implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          "devices (sustained TFLOP/s = "
              + ModelsTable.decimal(Clusters.SUSTAINED_FRACTION * 100, 0)
              + "% of dense peak; link bandwidth = "
              + ModelsTable.decimal(Clusters.LINK_FRACTION * 100, 0)
              + "% of per-direction peak):");
      ModelsTable devices =
          new ModelsTable(
                  "device",
                  "aliases",
                  "fp8 TF/s",
                  "bf16 TF/s",
                  "fp16 TF/s",
                  "fp32 TF/s",
                  "memory GiB",
                  "HBM GB/s",
                  "in node",
                  "between nodes")
              .numeric(2, 3, 4, 5, 6, 7);
      for (DevicePreset p : Clusters.devicePresets()) {
        DeviceSpec d = p.device();
        devices.row(
            d.name(),
            String.join(",", p.aliases()),
            tflops(d, DType.FP8),
            tflops(d, DType.BF16),
            tflops(d, DType.FP16),
            tflops(d, DType.FP32),
            ModelsTable.decimal(d.memoryBytes() / (double) (1L << 30), 1),
            ModelsTable.decimal(d.memoryBandwidthBytesPerSecond() / 1e9, 0),
            describe(p.intraNodeLink()),
            describe(p.interNodeLink()));
      }
      devices.print(out);
      out.println();
      out.println("clusters:");
      ModelsTable clusters = new ModelsTable("name", "shorthand", "devices").numeric(2);
      for (String name : Clusters.presetNames()) {
        ClusterSpec c = Clusters.load(name);
        clusters.row(
            name, Clusters.presetShorthand(name).orElse(""), Integer.toString(c.deviceCount()));
      }
      clusters.print(out);
      out.println();
      out.println(
          "Also: a device name (one node of it), DEVICE:NODESxPER_NODE (h100:16x8, cpu:1x4), or a JSON/YAML"
              + " cluster file.");
      out.flush();
      return Main.EXIT_OK;
    }
  }

  /** {@code pipeplan clusters show}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Show a cluster's devices and links.")
  static final class Show implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "NAME|FILE|SHORTHAND",
        description = "A preset, a cluster file, or DEVICE:NODESxPER_NODE such as h100:4x8.")
    String cluster;

    @Option(
        names = "--json",
        description = "Print the cluster as a cluster file (canonical units).")
    boolean json;

    @Override
    public Integer call() {
      ClusterSpec c = Clusters.load(cluster);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.print(ClusterFile.toJson(c));
        out.flush();
        return Main.EXIT_OK;
      }
      out.println(
          "cluster "
              + c.name()
              + ": "
              + c.deviceCount()
              + (c.deviceCount() == 1 ? " device on " : " devices on ")
              + c.nodeCount()
              + (c.nodeCount() == 1 ? " node" : " nodes"));
      out.println();
      ModelsTable groups =
          new ModelsTable(
                  "device",
                  "nodes",
                  "per node",
                  "sustained TFLOP/s",
                  "memory GiB",
                  "HBM GB/s",
                  "launch us")
              .numeric(1, 2, 4, 5, 6);
      for (DeviceGroup g : c.groups()) {
        DeviceSpec d = g.device();
        groups.row(
            d.name(),
            Integer.toString(g.nodes()),
            Integer.toString(g.devicesPerNode()),
            rates(d),
            ModelsTable.decimal(d.memoryBytes() / (double) (1L << 30), 1),
            ModelsTable.decimal(d.memoryBandwidthBytesPerSecond() / 1e9, 0),
            ModelsTable.decimal(d.launchOverheadNanos() / 1e3, 0));
      }
      groups.print(out);
      out.println();
      out.println("link in a node:      " + describe(c.intraNodeLink()));
      out.println("link between nodes:  " + describe(c.interNodeLink()));
      out.flush();
      return Main.EXIT_OK;
    }
  }

  private static String tflops(DeviceSpec d, DType dtype) {
    Double rate = d.sustainedFlopsPerSecond().get(dtype);
    return rate == null ? "-" : ModelsTable.decimal(rate / 1e12, rate < 1e12 ? 3 : 1);
  }

  private static String rates(DeviceSpec d) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<DType, Double> e : d.sustainedFlopsPerSecond().entrySet()) {
      if (b.length() > 0) {
        b.append(' ');
      }
      double r = e.getValue() / 1e12;
      b.append(e.getKey().id()).append('=').append(ModelsTable.decimal(r, r < 1 ? 3 : 1));
    }
    return b.toString();
  }

  private static String describe(LinkSpec l) {
    return l.name()
        + " "
        + ModelsTable.decimal(l.bandwidthBytesPerSecond() / 1e9, 1)
        + " GB/s, "
        + ModelsTable.decimal(l.latencyNanos() / 1e3, 1)
        + " us";
  }
}
