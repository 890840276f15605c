package dev.pipeplan.models.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterFileTest {
  @TempDir Path dir;

  @Test
  void mixedClusterFromYamlWithPresetsAndInlineDevice() throws Exception {
    Path file = dir.resolve("mixed.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "name: mixed",
            "groups:",
            "  - device: h100",
            "    nodes: 2",
            "    devicesPerNode: 8",
            "  - device:",
            "      name: l40s",
            "      sustainedTflops: {bf16: 250, fp32: 60}",
            "      memoryGiB: 46",
            "      memoryBandwidthGBps: 864",
            "      launchOverheadMicros: 15",
            "    nodes: 1",
            "    devicesPerNode: 4",
            "interNodeLink: {name: roce, bandwidthGBps: 25, latencyMicros: 12}",
            ""));
    ClusterSpec c = Clusters.load(file.toString());
    assertThat(c.name()).isEqualTo("mixed");
    assertThat(c.deviceCount()).isEqualTo(20);
    assertThat(c.device(16).name()).isEqualTo("l40s");
    assertThat(c.device(16).flopsPerSecond(DType.BF16)).isEqualTo(250e12);
    assertThat(c.device(16).memoryBytes()).isEqualTo(46L << 30);
    assertThat(c.device(16).launchOverheadNanos()).isEqualTo(15_000);
    assertThat(c.intraNodeLink().name()).isEqualTo("nvlink4");
    assertThat(c.interNodeLink().bandwidthBytesPerSecond()).isEqualTo(25e9);
    assertThat(c.interNodeLink().latencyNanos()).isEqualTo(12_000);
  }

  @Test
  void writtenClusterReadsBackEqual() {
    ClusterSpec c = Clusters.load("a100-80gb:4x8");
    Path json = dir.resolve("c.json");
    Path yaml = dir.resolve("c.yml");
    ClusterFile.write(c, json);
    ClusterFile.write(c, yaml);
    assertThat(Clusters.load(json.toString())).isEqualTo(c);
    assertThat(Clusters.load(yaml.toString())).isEqualTo(c);
  }

  @Test
  void negativeNodesNameTheJsonPath() throws Exception {
    Path file = dir.resolve("c.json");
    Files.writeString(
        file, "{\"groups\": [{\"device\": \"h100\", \"nodes\": -1, \"devicesPerNode\": 8}]}");
    assertThatThrownBy(() -> Clusters.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(file + ": groups[0].nodes must be >= 1, got -1");
  }

  @Test
  void unknownDevicePresetSuggestsClosest() throws Exception {
    Path file = dir.resolve("c.json");
    Files.writeString(file, "{\"groups\": [{\"device\": \"h1000\", \"devicesPerNode\": 8}]}");
    assertThatThrownBy(() -> Clusters.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            file + ": groups[0].device 'h1000' is not a device preset. Maybe you meant 'h100'?");
  }

  @Test
  void inlineDeviceNeedsItsLinks() throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(
        file,
        "groups:\n  - device: {name: x, sustainedTflops: {fp32: 1}, memoryGiB: 1,"
            + " memoryBandwidthGBps: 1}\n    devicesPerNode: 2\n");
    assertThatThrownBy(() -> Clusters.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + ": intraNodeLink is missing");
  }

  @Test
  void malformedYamlNamesTheFile() throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "groups: [\n");
    assertThatThrownBy(() -> Clusters.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + ": malformed YAML");
  }
}
