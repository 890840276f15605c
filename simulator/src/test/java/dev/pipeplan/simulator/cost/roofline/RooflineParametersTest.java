package dev.pipeplan.simulator.cost.roofline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.cluster.DevicePreset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RooflineParametersTest {
  @Test
  void everyDevicePresetHasParametersWithItsSmCountAndASource() {
    for (DevicePreset p : Clusters.devicePresets()) {
      RooflineParameters r = RooflineParameters.of(p.device());
      assertThat(r.device()).isEqualTo(p.name());
      assertThat(r.smCount()).isEqualTo(p.smCount());
      assertThat(r.source()).isNotBlank();
    }
    assertThat(Clusters.findDevice("a100").orElseThrow().smCount()).isEqualTo(108);
    assertThat(Clusters.findDevice("h100").orElseThrow().smCount()).isEqualTo(132);
    assertThat(Clusters.findDevice("h200").orElseThrow().smCount()).isEqualTo(132);
    assertThat(Clusters.findDevice("v100").orElseThrow().smCount()).isEqualTo(80);
  }

  @Test
  void aRenamedCopyOfAPresetKeepsItsParameters() {
    DeviceSpec copy =
        new DeviceSpec(
            "h100-sxm-memory-unchecked", Map.of(DType.BF16, 692e12), 1L << 40, 3.35e12, 20_000);
    assertThat(RooflineParameters.of(copy).device()).isEqualTo("h100-sxm");
    DeviceSpec a100 =
        new DeviceSpec("a100-80gb-custom", Map.of(DType.BF16, 218e12), 1L << 36, 2e12, 20_000);
    assertThat(RooflineParameters.of(a100).device()).isEqualTo("a100-80gb");
  }

  @Test
  void anUnknownDeviceGetsItsOwnSustainedRate() {
    DeviceSpec unknown = new DeviceSpec("tpu", Map.of(DType.BF16, 1e12), 1L << 34, 1e12, 0);
    RooflineParameters r = RooflineParameters.of(unknown);
    assertThat(r.peakGemmEfficiency()).isEqualTo(Clusters.SUSTAINED_FRACTION);
    assertThat(DeviceRoofline.of(unknown, DType.BF16).unshapedNanos(new Op.Unshaped(1e12, 0)))
        .isCloseTo(1e9, org.assertj.core.api.Assertions.within(1e-3));
  }

  @Test
  void rejectsAnEfficiencyAboveOne() {
    assertThatThrownBy(
            () -> new RooflineParameters("x", 1.2, 0.9, 0.5, 0.5, 0, 128, 128, 1, "test"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("peakGemmEfficiency");
  }
}
