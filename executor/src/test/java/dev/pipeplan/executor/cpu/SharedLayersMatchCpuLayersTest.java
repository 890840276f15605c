package dev.pipeplan.executor.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.executor.core.layers.DeviceBatch;
import dev.pipeplan.executor.core.layers.Layer;
import dev.pipeplan.executor.core.layers.Layers;
import dev.pipeplan.executor.core.layers.LmHeadLayer;
import dev.pipeplan.executor.core.layers.Param;
import dev.pipeplan.executor.core.ops.OpsComparison;
import dev.pipeplan.executor.core.ops.Tensor;
import dev.pipeplan.executor.layers.ExecutableLayer;
import dev.pipeplan.executor.layers.LayerFactory;
import dev.pipeplan.executor.layers.MicroBatch;
import dev.pipeplan.executor.layers.Parameter;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The shared layers on {@link Nd4jOps} compute what the CPU executor's own nd4j layers compute,
 * from the same layer shape and random stream: the same parameters (names, sizes, values), and
 * forward output (or loss), input gradient and parameter gradients within fp32 tolerance. This is
 * what lets the CPU runtime move onto the shared layers without changing its numbers.
 */
class SharedLayersMatchCpuLayersTest {
  private static final int SAMPLES = 2;
  private static final int SEQUENCE_LENGTH = 3;
  private static final int ROWS = SAMPLES * SEQUENCE_LENGTH;
  private static final long LOSS_TERMS = 12;
  private static final long FEATURE_SEED = 31;

  record Case(String label, LayerSpec spec, int inputWidth, boolean withInput) {
    @Override
    public String toString() {
      return label;
    }
  }

  private static LayerSpec spec(String name, LayerKind kind, Map<String, Long> shape) {
    return new LayerSpec(name, kind, new TreeMap<>(shape), 1, 1, 1, 1, 0, 0, null);
  }

  static List<Case> cases() {
    return List.of(
        new Case(
            "embedding",
            spec(
                "embedding",
                LayerKind.EMBEDDING,
                Map.of("vocab", 11L, "hidden", 8L, "positions", 4L, "seq", 3L)),
            0,
            false),
        new Case(
            "gelu block with biases",
            spec(
                "block0",
                LayerKind.TRANSFORMER_BLOCK,
                Map.of("hidden", 8L, "heads", 4L, "ffn", 12L, "seq", 3L)),
            8,
            true),
        new Case(
            "swiglu block, grouped kv, no biases",
            spec(
                "block1",
                LayerKind.TRANSFORMER_BLOCK,
                Map.of(
                    "hidden", 8L, "heads", 4L, "kvHeads", 2L, "ffn", 12L, "gated", 1L, "bias", 0L,
                    "seq", 3L)),
            8,
            true),
        new Case(
            "mlp", spec("mlp1", LayerKind.MLP, Map.of("in", 5L, "hidden", 7L, "out", 6L)), 5, true),
        new Case(
            "first mlp",
            spec("mlp0", LayerKind.MLP, Map.of("in", 5L, "hidden", 7L, "out", 6L)),
            5,
            false),
        new Case(
            "lm head",
            spec("lm_head", LayerKind.LM_HEAD, Map.of("hidden", 8L, "vocab", 11L, "seq", 3L)),
            8,
            true));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void sharedLayerOnNd4jOpsMatchesTheCpuLayer(Case c) {
    long seed = 77;
    SplittableRandom data = new SplittableRandom(5);
    int[] tokens = new int[ROWS];
    int[] labels = new int[ROWS];
    for (int i = 0; i < ROWS; i++) {
      tokens[i] = data.nextInt(11);
      labels[i] = data.nextInt(11);
    }
    float[] input = c.withInput() ? normal(data, ROWS * c.inputWidth()) : null;

    ExecutableLayer<?> cpu =
        LayerFactory.build(c.spec(), new SplittableRandom(seed), DataType.FLOAT);
    Nd4jOps ops = new Nd4jOps();
    Layer<?> shared = Layers.build(ops, c.spec(), new SplittableRandom(seed));

    List<Parameter> cpuParams = cpu.parameters();
    List<Param> sharedParams = shared.parameters();
    assertThat(sharedParams).extracting(Param::name).containsExactlyElementsOf(names(cpuParams));
    for (int i = 0; i < cpuParams.size(); i++) {
      assertThat(ops.download(sharedParams.get(i).value()))
          .as("initial %s", cpuParams.get(i).name())
          .containsExactly(flat(cpuParams.get(i).value()));
    }

    MicroBatch cpuBatch =
        new MicroBatch(SAMPLES, SEQUENCE_LENGTH, tokens, labels, LOSS_TERMS, FEATURE_SEED);
    DeviceBatch sharedBatch =
        DeviceBatch.upload(ops, tokens, labels, SAMPLES, SEQUENCE_LENGTH, LOSS_TERMS, FEATURE_SEED);
    INDArray cpuOut =
        cpu.forward(
            0,
            input == null ? null : Nd4j.create(input, new long[] {ROWS, c.inputWidth()}),
            cpuBatch);
    Tensor sharedOut =
        shared.forward(ops, 0, input == null ? null : ops.upload(input), sharedBatch);
    float[] outputGrad;
    INDArray cpuDx;
    Tensor sharedDx;
    if (shared.isLoss()) {
      double loss = 0;
      for (Tensor terms : ((LmHeadLayer) shared).takeAllLossTerms()) {
        loss += ops.sum(terms);
        ops.free(terms);
      }
      assertThat(loss).as("loss").isCloseTo(cpuOut.getDouble(0), within(cpuOut.getDouble(0)));
      cpuDx = cpu.backwardInput(0, null);
      sharedDx = shared.backwardInput(ops, 0, null);
    } else {
      assertNear("forward output", ops.download(sharedOut), flat(cpuOut));
      outputGrad = normal(data, (int) sharedOut.length());
      cpuDx = cpu.backwardInput(0, Nd4j.create(outputGrad, cpuOut.shape()));
      sharedDx = shared.backwardInput(ops, 0, ops.upload(outputGrad));
    }
    assertThat(sharedDx == null).as("no input gradient").isEqualTo(cpuDx == null);
    if (sharedDx != null) {
      assertNear("input gradient", ops.download(sharedDx), flat(cpuDx));
    }
    cpu.backwardWeight(0);
    shared.backwardWeight(ops, 0);
    for (int i = 0; i < cpuParams.size(); i++) {
      assertNear(
          cpuParams.get(i).name() + " gradient",
          ops.download(sharedParams.get(i).gradient()),
          flat(cpuParams.get(i).gradient()));
    }
  }

  private static org.assertj.core.data.Offset<Double> within(double value) {
    return org.assertj.core.data.Offset.offset(
        OpsComparison.TOLERANCE * Math.max(1, Math.abs(value)));
  }

  private static void assertNear(String what, float[] got, float[] want) {
    assertThat(OpsComparison.compare(got, want)).as(what).isNull();
  }

  private static List<String> names(List<Parameter> params) {
    List<String> out = new ArrayList<>();
    for (Parameter p : params) {
      out.add(p.name());
    }
    return out;
  }

  private static float[] flat(INDArray a) {
    return a.dup('c').reshape(a.length()).toFloatVector();
  }

  private static float[] normal(SplittableRandom random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }
}
