package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.cluster.Clusters;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClustersCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void listShowsDevicesAndPresets() {
    assertThat(run("clusters", "list")).isZero();
    assertThat(out.toString())
        .contains("h100-sxm", "a100-40gb", "v100", "h200", "cpu", "dgx-h100", "nvlink4");
    // which devices take --fp8: an FP8 rate on Hopper and later, none on A100
    String table = out.toString();
    assertThat(table).contains("fp8 TF/s");
    String h100 = table.lines().filter(l -> l.startsWith("h100-sxm ")).findFirst().orElseThrow();
    String a100 = table.lines().filter(l -> l.startsWith("a100-80gb ")).findFirst().orElseThrow();
    // 70% of the datasheet's 1979 TFLOP/s dense FP8
    assertThat(Double.parseDouble(h100.split(" +")[2])).isBetween(1385.2, 1385.3);
    assertThat(a100.split(" +")[2]).isEqualTo("-");
  }

  @Test
  void showShorthand() {
    assertThat(run("clusters", "show", "a100-80gb:4x8")).isZero();
    assertThat(out.toString()).contains("32 devices on 4 nodes", "nvlink3", "ib-hdr");
  }

  @Test
  void showOneDeviceInTheSingular() {
    // was "cluster h100:1x1: 1 devices on 1 node"
    assertThat(run("clusters", "show", "h100:1x1")).isZero();
    assertThat(out.toString()).startsWith("cluster h100:1x1: 1 device on 1 node\n");
  }

  @Test
  void showJsonReadsBackAsAClusterFile() throws Exception {
    assertThat(run("clusters", "show", "h100:2x8", "--json")).isZero();
    Path file = dir.resolve("c.json");
    Files.writeString(file, out.toString());
    ClusterSpec c = Clusters.load(file.toString());
    assertThat(c).isEqualTo(Clusters.load("h100:2x8"));
  }

  @Test
  void unknownClusterExitsTwo() {
    assertThat(run("clusters", "show", "x900:4x8")).isEqualTo(2);
    assertThat(err.toString()).startsWith("error: cluster 'x900:4x8'");
  }
}
