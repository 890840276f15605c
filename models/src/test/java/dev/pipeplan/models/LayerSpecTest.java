package dev.pipeplan.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayerSpecTest {
  private static LayerSpec layer(String name, double forwardFlops, long parameterCount) {
    return new LayerSpec(
        name,
        LayerKind.OTHER,
        LayerShape.unknown(LayerKind.OTHER),
        forwardFlops,
        0,
        0,
        parameterCount,
        0,
        0,
        null);
  }

  @Test
  void rejectsNanInfiniteNegativeAndHugeFlopsNamingLayerAndField() {
    assertThatThrownBy(() -> layer("fc", Double.NaN, 0))
        .isInstanceOf(BadInputException.class)
        .hasMessage("layer 'fc' forwardFlops must be a finite number >= 0, got NaN");
    assertThatThrownBy(() -> layer("fc", Double.POSITIVE_INFINITY, 0))
        .hasMessage("layer 'fc' forwardFlops must be a finite number >= 0, got Infinity");
    assertThatThrownBy(() -> layer("fc", -1, 0))
        .hasMessage("layer 'fc' forwardFlops must be a finite number >= 0, got -1.0");
    assertThatThrownBy(() -> layer("fc", 1e300, 0))
        .hasMessage("layer 'fc' forwardFlops (1.0E300) exceeds the limit of 1.0E24");
    assertThatThrownBy(
            () ->
                new LayerSpec(
                    "fc",
                    LayerKind.OTHER,
                    LayerShape.unknown(LayerKind.OTHER),
                    0,
                    0,
                    -2,
                    0,
                    0,
                    0,
                    null))
        .hasMessage("layer 'fc' backwardWeightFlops must be a finite number >= 0, got -2.0");
  }

  @Test
  void rejectsByteCountsPastTheLimit() {
    assertThatThrownBy(
            () ->
                new LayerSpec(
                    "fc",
                    LayerKind.OTHER,
                    LayerShape.unknown(LayerKind.OTHER),
                    0,
                    0,
                    0,
                    0,
                    Long.MAX_VALUE,
                    0,
                    null))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "layer 'fc' savedActivationBytes (9223372036854775807) exceeds the limit of"
                + " 9007199254740992");
    assertThatThrownBy(() -> layer("fc", 0, -5))
        .hasMessage("layer 'fc' parameterCount must be >= 0, got -5");
  }

  @Test
  void totalParametersOverflowIsBadInputNotANegativeCount() {
    // 2^17 layers at the per-layer limit of 2^46 parameters: 2^63.
    LayerSpec big = layer("x", 0, ModelLimits.MAX_LAYER_PARAMETERS);
    List<LayerSpec> layers = new ArrayList<>(Collections.nCopies(1 << 17, big));
    for (int i = 0; i < layers.size(); i++) {
      layers.set(i, layer("l" + i, 0, ModelLimits.MAX_LAYER_PARAMETERS));
    }
    ModelSpec model = new ModelSpec("huge", layers, DType.FP32, 0);
    assertThat(model.layerCount()).isEqualTo(1 << 17);
    assertThatThrownBy(model::totalParameters)
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("model 'huge' total parameters overflows a 64-bit count");
  }
}
