package dev.pipeplan.executor.core.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.executor.core.layers.DeviceBatch;
import dev.pipeplan.executor.core.layers.Layer;
import dev.pipeplan.executor.core.layers.LayerCase;
import dev.pipeplan.executor.core.layers.LmHeadLayer;
import dev.pipeplan.executor.core.layers.Param;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract every {@link Ops} implementation passes (a subclass per backend): every kernel and
 * product agrees with {@link HostOps} ({@link OpsComparison}), and for every shared layer kind the
 * forward output (or loss terms), the input gradient (I) and every parameter gradient (W) of a
 * small random case agree with the same layer on {@link HostOps}, within {@link
 * OpsComparison#TOLERANCE} of the largest value of each tensor (fp32 against double).
 */
public abstract class OpsContractTest {
  /** A fresh instance of the backend under test. */
  protected abstract Ops newOps();

  /** Called once a test is done with an instance of {@link #newOps()}. */
  protected void release(Ops ops) {}

  @Test
  public void everyKernelAndProductAgreesWithHostOps() {
    Ops ops = newOps();
    try {
      OpsComparison.Result result = OpsComparison.compare(ops, new HostOps());
      assertThat(result.failures()).isEmpty();
      assertThat(result.cases()).isGreaterThan(Kernel.values().length);
    } finally {
      release(ops);
    }
  }

  @ParameterizedTest
  @EnumSource(LayerCase.class)
  public void layerForwardAndBackwardAgreeWithHostOps(LayerCase layerCase) {
    Ops ops = newOps();
    try {
      Map<String, float[]> got = run(ops, layerCase);
      Map<String, float[]> want = run(new HostOps(), layerCase);
      assertThat(got.keySet()).containsExactlyElementsOf(want.keySet());
      List<String> problems = new ArrayList<>();
      for (Map.Entry<String, float[]> e : want.entrySet()) {
        String problem = OpsComparison.compare(got.get(e.getKey()), e.getValue());
        if (problem != null) {
          problems.add(layerCase + " " + e.getKey() + ": " + problem);
        }
      }
      assertThat(problems).isEmpty();
    } finally {
      release(ops);
    }
  }

  /** F, I and W of one case; every tensor they produce, by name, in a fixed order. */
  private static Map<String, float[]> run(Ops ops, LayerCase layerCase) {
    Map<String, float[]> out = new LinkedHashMap<>();
    Layer<?> layer = layerCase.build(ops);
    DeviceBatch data = layerCase.batch(ops);
    Tensor input = LayerCase.upload(ops, layerCase.input());
    Tensor y = layer.forward(ops, 0, input, data);
    if (y != null) {
      out.put("forward output", ops.download(y));
    } else {
      List<Tensor> terms = ((LmHeadLayer) layer).takeAllLossTerms();
      assertThat(terms).hasSize(1);
      out.put("loss terms", ops.download(terms.get(0)));
      ops.free(terms.get(0));
    }
    Tensor dx = layer.backwardInput(ops, 0, LayerCase.upload(ops, layerCase.outputGradient()));
    if (dx != null) {
      out.put("input gradient", ops.download(dx));
    }
    layer.backwardWeight(ops, 0);
    for (Param p : layer.parameters()) {
      out.put(p.name() + " gradient", ops.download(p.gradient()));
    }
    ops.free(y, dx, input);
    data.release(ops);
    layer.release(ops);
    return out;
  }
}
