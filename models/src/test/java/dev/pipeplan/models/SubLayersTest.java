package dev.pipeplan.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.ModelFile;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.zoo.Zoo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubLayersTest {

  /** gpt2-xl: GELU, biases, dropout, tied head; llama3-8b: SwiGLU, grouped-query, no biases. */
  private static final List<String> MODELS = List.of("gpt2-xl", "llama3-8b", "gpt3-13b");

  @Test
  void piecesOfEveryBlockSumToTheBlockInFlopsParametersAndEachActivationPart() {
    for (String name : MODELS) {
      ModelSpec model = Zoo.get(name);
      for (SubLayers.Unit unit : SubLayers.Unit.values()) {
        ModelSpec pieces = SubLayers.split(model, unit, 1);
        int per = unit.parts().size();
        int blocks = 0;
        for (LayerSpec layer : model.layers()) {
          if (layer.kind() != LayerKind.TRANSFORMER_BLOCK) {
            continue;
          }
          List<LayerSpec> parts = new ArrayList<>();
          for (LayerSpec piece : pieces.layers()) {
            if (piece.name().startsWith(layer.name() + ".")) {
              parts.add(piece);
            }
          }
          assertThat(parts).as(name + " " + unit + " " + layer.name()).hasSize(per);
          assertSumsTo(layer, parts, name + " " + unit);
          blocks++;
        }
        assertThat(pieces.layerCount()).isEqualTo(model.layerCount() + blocks * (per - 1));
        assertThat(SubLayers.wholeLayerCount(pieces)).isEqualTo(model.layerCount());
        assertThat(SubLayers.wholeLayerCount(SubLayers.split(model, unit, 9)))
            .isEqualTo(model.layerCount());
        assertThat(pieces.totalParameters()).isEqualTo(model.totalParameters());
      }
    }
  }

  @Test
  void stepsOfABlockWithWideHeadsAndQkvBiasesOwnTheirOwnWeights() throws Exception {
    // Qwen3-4B: 32 heads of 128 over a hidden width of 2560, 8 key/value heads, q/k norms.
    ModelSpec qwen3 = ModelLoader.load(resource("hf/published/Qwen3-4B"), 2048);
    long h = 2560;
    long q = 32 * 128;
    long kv = 8 * 128;
    long f = 9728;
    ModelSpec steps = SubLayers.split(qwen3, SubLayers.Unit.STEP, 1);
    assertThat(steps.layer(1).parameterCount()).isEqualTo(h * (q + 2 * kv) + h + 2 * 128);
    assertThat(steps.layer(2).parameterCount()).isZero();
    assertThat(steps.layer(3).parameterCount()).isEqualTo(q * h);
    assertThat(steps.layer(4).parameterCount()).isEqualTo(2 * h * f + h);
    assertThat(steps.layer(5).parameterCount()).isEqualTo(h * f);
    double s = 2048;
    assertThat(steps.layer(2).forwardFlops()).isCloseTo(4 * s * s * q, within(1.0));
    // After the QKV step the residual stream, Q (a·d wide) and K and V cross.
    assertThat(steps.layer(1).outputBytes())
        .isEqualTo(qwen3.layer(1).outputBytes() * (h + q + 2 * kv) / h);
    assertSumsTo(qwen3.layer(1), steps.layers().subList(1, 6), "Qwen3-4B");
    // Qwen2.5-0.5B: q, k and v biases belong to the QKV step.
    ModelSpec qwen2 = ModelLoader.load(resource("hf/published/Qwen2.5-0.5B"), 1024);
    ModelSpec qwen2Steps = SubLayers.split(qwen2, SubLayers.Unit.STEP, 1);
    assertThat(qwen2Steps.layer(1).parameterCount())
        .isEqualTo(896L * (896 + 2 * 128) + 896 + (896 + 2 * 128));
    assertThat(qwen2Steps.layer(3).parameterCount()).isEqualTo(896L * 896);
    assertSumsTo(qwen2.layer(1), qwen2Steps.layers().subList(1, 6), "Qwen2.5-0.5B");
  }

  private static String resource(String name) throws Exception {
    return Path.of(SubLayersTest.class.getResource("/" + name).toURI()).toString();
  }

  @Test
  void aCutPassesTheResidualStreamAndInsideASubLayerAlsoTheStepsOutput() {
    ModelSpec model = Zoo.get("llama3-8b");
    LayerSpec block = model.layer(1);
    LayerShape.TransformerBlock shape = (LayerShape.TransformerBlock) block.shape();
    long h = shape.hidden().getAsLong();
    long kv = shape.kvHeads().getAsLong() * (h / shape.heads().getAsLong());
    long f = shape.ffn().getAsLong();
    ModelSpec steps = SubLayers.split(model, SubLayers.Unit.STEP, 1);
    long residual = block.outputBytes();
    // after QKV: the residual stream, Q and the smaller K and V; after attention: its output too;
    // after the MLP's activation: the ffn-wide activation.
    assertThat(steps.layer(1).outputBytes()).isEqualTo(residual * (2 * h + 2 * kv) / h);
    assertThat(steps.layer(2).outputBytes()).isEqualTo(2 * residual);
    assertThat(steps.layer(3).outputBytes()).isEqualTo(residual);
    assertThat(steps.layer(4).outputBytes()).isEqualTo(residual * (h + f) / h);
    assertThat(steps.layer(5).outputBytes()).isEqualTo(residual);
    ModelSpec halves = SubLayers.split(model, SubLayers.Unit.SUBLAYER, 1);
    assertThat(halves.layer(1).outputBytes()).isEqualTo(residual);
    assertThat(halves.layer(1).name()).isEqualTo(block.name() + ".attention");
    assertThat(halves.layer(2).name()).isEqualTo(block.name() + ".mlp");
    // The attention's scores and flash statistics belong to the step that runs it.
    assertThat(steps.layer(2).activations().flashStatisticsBytes())
        .isEqualTo(block.activations().flashStatisticsBytes());
    assertThat(steps.layer(1).activations().flashStatisticsBytes()).isZero();
  }

  @Test
  void headSlicesCoverTheVocabularyOnceAndOnlyTheLastEndsTheLoss() {
    ModelSpec model = Zoo.get("gpt2-xl");
    LayerSpec head = model.layer(model.layerCount() - 1);
    long vocab = ((LayerShape.LmHead) head.shape()).vocab().getAsLong();
    ModelSpec sliced = SubLayers.split(model, SubLayers.Unit.SUBLAYER, 7);
    List<LayerSpec> slices = new ArrayList<>();
    for (LayerSpec layer : sliced.layers()) {
      if (layer.kind() == LayerKind.LM_HEAD) {
        slices.add(layer);
      }
    }
    assertThat(slices).hasSize(7);
    long columns = 0;
    for (int i = 0; i < slices.size(); i++) {
      LayerShape.LmHead s = (LayerShape.LmHead) slices.get(i).shape();
      columns += s.vocab().getAsLong();
      assertThat(s.isSlice()).isTrue();
      assertThat(s.holdsNorm()).isEqualTo(i == 0);
      assertThat(s.endsLoss()).isEqualTo(i == slices.size() - 1);
      // every slice but the last passes the hidden state and three fp32 numbers per token on
      if (i < slices.size() - 1) {
        long seq = s.seq().getAsLong();
        assertThat(slices.get(i).outputBytes())
            .isEqualTo(seq * s.hidden().getAsLong() * model.dtype().bytes() + 12 * seq);
      } else {
        assertThat(slices.get(i).outputBytes()).isEqualTo(head.outputBytes());
      }
    }
    assertThat(columns).isEqualTo(vocab);
    assertThat(slices.stream().mapToDouble(LayerSpec::forwardFlops).sum())
        .isCloseTo(head.forwardFlops(), within(head.forwardFlops() * 1e-12));
    assertThat(slices.stream().mapToLong(LayerSpec::parameterCount).sum())
        .isEqualTo(head.parameterCount());
    assertThat(slices.stream().mapToLong(l -> l.activations().tensorShardedBytes()).sum())
        .isEqualTo(head.activations().tensorShardedBytes());
  }

  @Test
  void piecesRoundTripThroughPlanJsonAndTheModelFileFormat(@TempDir Path dir) throws Exception {
    ModelSpec pieces = SubLayers.split(Zoo.get("llama3-8b"), SubLayers.Unit.STEP, 5);
    ModelSpec again = Json.json().readValue(Json.write(pieces), ModelSpec.class);
    assertThat(again).isEqualTo(pieces);
    Path file = dir.resolve("pieces.json");
    ModelFile.write(pieces, file);
    assertThat(ModelFile.read(file).layers()).isEqualTo(pieces.layers());
    assertThat(SubLayers.hasPieces(again)).isTrue();
    assertThat(SubLayers.hasPieces(Zoo.get("llama3-8b"))).isFalse();
    assertThat(pieces.layer(1).shape().values()).containsEntry("part", 1L);
    assertThat(pieces.layer(pieces.layerCount() - 1).shape().values())
        .containsEntry("slice", 5L)
        .containsEntry("slices", 5L);
  }

  @Test
  void aHandEditedModelOfLoosePiecesCountsEachBlockOnce() {
    ModelSpec model = Zoo.get("gpt-tiny");
    ModelSpec halves = SubLayers.split(model, SubLayers.Unit.SUBLAYER, 1);
    // only the MLP halves left: each still stands for its block
    List<LayerSpec> mlps = new ArrayList<>();
    for (LayerSpec layer : halves.layers()) {
      if (!layer.name().endsWith(".attention")) {
        mlps.add(layer);
      }
    }
    ModelSpec loose = new ModelSpec("loose", mlps, model.dtype(), model.sequenceLength());
    assertThat(SubLayers.wholeLayerCount(loose)).isEqualTo(model.layerCount());
  }

  @Test
  void aPartMustBeAContiguousRunOfSteps() {
    assertThat(BlockPart.of(OptionalLong.empty()).whole()).isTrue();
    assertThat(BlockPart.of(OptionalLong.of(24))).isEqualTo(BlockPart.MLP);
    assertThat(BlockPart.ATTENTION.last()).isEqualTo(BlockPart.Step.ATTENTION_OUT);
    assertThatThrownBy(() -> BlockPart.of(OptionalLong.of(5)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'part' is 5")
        .hasMessageContaining("contiguous");
    assertThatThrownBy(() -> BlockPart.of(OptionalLong.of(32)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("1..31");
    assertThatThrownBy(
            () ->
                LayerShape.of(
                    LayerKind.LM_HEAD, Map.of("vocab", 10L, "hidden", 4L, "seq", 2L, "slice", 3L)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'slice' and 'slices' go together");
  }

  @Test
  void refusesMeasuredLayersAndOutOfRangeSliceCounts() {
    ModelSpec model = Zoo.get("gpt2-small");
    LayerSpec block = model.layer(1);
    List<LayerSpec> layers = new ArrayList<>(model.layers());
    layers.set(
        1,
        new LayerSpec(
            block.name(),
            block.kind(),
            block.shape(),
            block.forwardFlops(),
            block.backwardInputFlops(),
            block.backwardWeightFlops(),
            block.parameterCount(),
            block.savedActivationBytes(),
            block.outputBytes(),
            new MeasuredTimes(1, 1000, 1000, 1000),
            block.activations()));
    ModelSpec measured = new ModelSpec(model.name(), layers, model.dtype(), model.sequenceLength());
    assertThatThrownBy(() -> SubLayers.split(measured, SubLayers.Unit.SUBLAYER, 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'" + block.name() + "' has measured times");
    assertThatThrownBy(() -> SubLayers.split(model, SubLayers.Unit.SUBLAYER, 0))
        .hasMessageContaining("1..64, got 0");
  }

  private static void assertSumsTo(LayerSpec whole, List<LayerSpec> parts, String what) {
    double f = 0;
    double i = 0;
    double w = 0;
    long params = 0;
    long[] sums = new long[6];
    for (LayerSpec p : parts) {
      f += p.forwardFlops();
      i += p.backwardInputFlops();
      w += p.backwardWeightFlops();
      params += p.parameterCount();
      ActivationBytes a = p.activations();
      sums[0] += a.tensorShardedBytes();
      sums[1] += a.sequenceShardedBytes();
      sums[2] += a.dropoutMaskBytes();
      sums[3] += a.attentionScoreBytes();
      sums[4] += a.attentionDropoutBytes();
      sums[5] += a.flashStatisticsBytes();
      assertThat(p.kind()).isEqualTo(LayerKind.TRANSFORMER_BLOCK);
    }
    assertThat(f).as(what).isCloseTo(whole.forwardFlops(), within(whole.forwardFlops() * 1e-12));
    assertThat(i)
        .as(what)
        .isCloseTo(whole.backwardInputFlops(), within(whole.backwardInputFlops() * 1e-12));
    assertThat(w)
        .as(what)
        .isCloseTo(whole.backwardWeightFlops(), within(whole.backwardWeightFlops() * 1e-12));
    assertThat(params).as(what).isEqualTo(whole.parameterCount());
    ActivationBytes a = whole.activations();
    assertThat(sums)
        .as(what)
        .containsExactly(
            a.tensorShardedBytes(),
            a.sequenceShardedBytes(),
            a.dropoutMaskBytes(),
            a.attentionScoreBytes(),
            a.attentionDropoutBytes(),
            a.flashStatisticsBytes());
  }
}
