package dev.pipeplan.models.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClustersTest {
  @TempDir Path dir;

  @Test
  void inputFileIsTheFileLoadReads() throws Exception {
    Path file = dir.resolve("c.json");
    Files.writeString(file, Json.write(ClusterFile.toTree(Clusters.load("h100:1x2"))));
    assertThat(Clusters.inputFile(file.toString())).contains(file);
    // FILE:NODESxPER_NODE reads FILE
    assertThat(Clusters.inputFile(file + ":1x2")).contains(file);
    assertThat(Clusters.load(file + ":1x2").deviceCount()).isEqualTo(2);
    // presets, device names and the shorthand read no file
    assertThat(Clusters.inputFile("h100:1x8")).isEmpty();
    assertThat(Clusters.inputFile("h100")).isEmpty();
    assertThat(Clusters.inputFile("dgx-h100")).isEqualTo(Optional.empty());
    assertThat(Clusters.inputFile(dir.resolve("missing.json").toString())).isEmpty();
    assertThat(Clusters.inputFile("")).isEmpty();
  }

  @Test
  void shorthandBuildsNodesOfPresetDevices() {
    ClusterSpec c = Clusters.load("h100:128x8");
    assertThat(c.name()).isEqualTo("h100:128x8");
    assertThat(c.deviceCount()).isEqualTo(1024);
    assertThat(c.nodeCount()).isEqualTo(128);
    assertThat(c.devicesPerNode()).isEqualTo(8);
    assertThat(c.device(0).name()).isEqualTo("h100-sxm");
    assertThat(c.link(0, 7).name()).isEqualTo("nvlink4");
    assertThat(c.link(7, 8).name()).isEqualTo("ib-ndr");
    assertThat(c.link(7, 8).latencyNanos()).isGreaterThan(c.link(0, 7).latencyNanos());
  }

  @Test
  void sustainedRatesAreAFractionOfPeak() {
    DeviceSpec h100 = Clusters.device("h100");
    assertThat(h100.flopsPerSecond(DType.BF16))
        .isCloseTo(989.4e12 * Clusters.SUSTAINED_FRACTION, within(1e6));
    assertThat(h100.flopsPerSecond(DType.BF16)).isLessThan(989.4e12);
    DeviceSpec a100 = Clusters.device("a100-80gb");
    assertThat(a100.flopsPerSecond(DType.FP16)).isCloseTo(312e12 * 0.7, within(1e6));
    assertThat(a100.memoryBytes()).isEqualTo(78L << 30);
    assertThat(Clusters.device("a100-40gb").memoryBytes()).isEqualTo(38L << 30);
    assertThat(Clusters.device("h200").memoryBytes()).isGreaterThan(h100.memoryBytes());
    // V100 has no bf16: the cost model falls back to its fp32 rate
    assertThat(Clusters.device("v100").flopsPerSecond(DType.BF16))
        .isCloseTo(15.7e12 * 0.7, within(1e6));
  }

  @Test
  void cpuShorthandGivesOneWorkerPerDeviceSharingTheJvmMemory() {
    ClusterSpec c = Clusters.load("cpu:1x2");
    assertThat(c.deviceCount()).isEqualTo(2);
    assertThat(c.device(0).name()).isEqualTo("cpu");
    assertThat(c.device(0).memoryBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 2);
    assertThat(c.device(0).flopsPerSecond(DType.FP32)).isEqualTo(Clusters.CPU_FLOPS_PER_CORE);
    assertThat(c.link(0, 1).latencyNanos()).isZero();
    assertThat(Clusters.load("cpu:3").deviceCount()).isEqualTo(3);
  }

  @Test
  void cpuClusterHasOneNode() {
    assertThatThrownBy(() -> Clusters.load("cpu:2x2"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("Maybe use cpu:1x4.");
  }

  @Test
  void presetNamesLoad() {
    for (String name : Clusters.presetNames()) {
      assertThat(Clusters.load(name).name()).isEqualTo(name);
    }
    assertThat(Clusters.load("dgx-a100").device(0).name()).isEqualTo("a100-80gb");
    assertThat(Clusters.load("h200").deviceCount()).isEqualTo(8);
    ClusterSpec b200 = Clusters.load("dgx-b200");
    assertThat(b200.deviceCount()).isEqualTo(8);
    assertThat(b200.device(0).name()).isEqualTo("b200");
    // 2250 TFLOP/s dense bf16 (2.27 times the H100's), 180 GB, NVLink5 twice NVLink4
    assertThat(b200.device(0).flopsPerSecond(DType.BF16))
        .isCloseTo(2250e12 * Clusters.SUSTAINED_FRACTION, within(1e6));
    assertThat(b200.device(0).memoryBytes()).isEqualTo(178L << 30);
    assertThat(b200.intraNodeLink().bandwidthBytesPerSecond())
        .isEqualTo(2 * Clusters.load("dgx-h100").intraNodeLink().bandwidthBytesPerSecond());
  }

  @Test
  void unknownDeviceInShorthandSuggestsClosest() {
    assertThatThrownBy(() -> Clusters.load("h10:4x8"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("device 'h10' is unknown. Maybe you meant 'h100'?");
  }

  @Test
  void unknownClusterSuggestsClosestPreset() {
    assertThatThrownBy(() -> Clusters.load("dgx-h10"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("Maybe you meant 'dgx-h100'?");
  }

  @Test
  void unknownDeviceSuggestsClosest() {
    assertThatThrownBy(() -> Clusters.device("a100-80"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("Maybe you meant 'a100-80gb'?");
  }

  @Test
  void zeroNodesAreRejected() {
    assertThatThrownBy(() -> Clusters.load("h100:0x8"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("must be >= 1, got 0x8");
  }
}
