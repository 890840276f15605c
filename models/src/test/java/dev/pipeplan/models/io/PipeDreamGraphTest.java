package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipeDreamGraphTest {

  @Test
  void vggGraphLinearisesInTopologicalOrderWithTheFilesTimes() {
    ModelSpec vgg = PipeDreamGraph.read(TestFiles.resource("pipedream/vgg16-graph.txt"));
    assertThat(vgg.name()).isEqualTo("vgg16-graph");
    assertThat(vgg.layerCount()).isEqualTo(41);
    List<String> names = new ArrayList<>();
    for (LayerSpec l : vgg.layers()) {
      names.add(l.name().substring(0, l.name().indexOf('-')));
    }
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= 41; i++) {
      expected.add("node" + i);
    }
    assertThat(names).isEqualTo(expected);
    assertThat(vgg.fullyMeasured()).isTrue();
    // node23 -- Conv2d(512, 512, ...) -- forward_compute_time=12.430, backward_compute_time=24.860
    LayerSpec conv =
        vgg.layers().stream().filter(l -> l.name().startsWith("node23-")).findFirst().orElseThrow();
    assertThat(conv.name()).isEqualTo("node23-Conv2d");
    assertThat(conv.kind()).isEqualTo(LayerKind.CONV);
    assertThat(conv.measured().forwardNanos()).isEqualTo(12_430_000L);
    assertThat(conv.measured().backwardInputNanos()).isEqualTo(24_860_000L);
    assertThat(conv.measured().backwardWeightNanos()).isZero();
    assertThat(conv.parameterCount()).isEqualTo(512L * 512 * 9 + 512);
    assertThat(vgg.totalParameters()).isEqualTo(138_357_544L);
  }

  @Test
  void bytesCrossingEachCutComeFromTheEdges() {
    ModelSpec vgg = PipeDreamGraph.read(TestFiles.resource("pipedream/vgg16-graph.txt"));
    // node32 (the last pool) feeds both node33 (Size) and node34 (View): a cut after node33 carries
    // both.
    assertThat(vgg.layer(31).name()).isEqualTo("node32-MaxPool2d");
    assertThat(vgg.layer(31).outputBytes()).isEqualTo(3_211_264L);
    assertThat(vgg.layer(32).outputBytes()).isEqualTo(3_211_264L + 4);
    assertThat(vgg.layer(33).outputBytes()).isEqualTo(3_211_264L);
    assertThat(vgg.layer(40).outputBytes()).isEqualTo(128_000L);
  }

  @Test
  void branchyGraphCarriesSkipConnectionsAcrossCuts() {
    ModelSpec gnmt = PipeDreamGraph.read(TestFiles.resource("pipedream/gnmt-graph.txt"));
    assertThat(gnmt.layerCount()).isEqualTo(20);
    assertThat(gnmt.layer(0).name()).isEqualTo("node1-Input0");
    assertThat(gnmt.layer(9).name()).isEqualTo("node10-Input1");
    long hidden = 13_107_200L;
    long attention = 13_747_200L;
    assertThat(gnmt.layer(4).outputBytes())
        .as("after node5: it feeds node6 and the residual add")
        .isEqualTo(hidden);
    assertThat(gnmt.layer(5).outputBytes())
        .as("after node6: node5 and node6 feed node7")
        .isEqualTo(2 * hidden);
    assertThat(gnmt.layer(8).outputBytes()).as("after node9: the encoder output").isEqualTo(hidden);
    assertThat(gnmt.layer(9).outputBytes()).as("after node10").isEqualTo(hidden + 25_600);
    assertThat(gnmt.layer(11).outputBytes()).as("after node12").isEqualTo(2 * hidden);
    assertThat(gnmt.layer(12).outputBytes()).as("after node13").isEqualTo(hidden + attention);
    assertThat(gnmt.layer(14).outputBytes()).as("after node15").isEqualTo(attention + hidden);
    assertThat(gnmt.layer(13).kind()).isEqualTo(LayerKind.OTHER);
  }

  @Test
  void batchSizeTurnsMinibatchBytesIntoPerSampleBytes() {
    ModelSpec gnmt = PipeDreamGraph.read(TestFiles.resource("pipedream/gnmt-graph.txt"), 64);
    assertThat(gnmt.layer(8).outputBytes()).isEqualTo(13_107_200L / 64);
    assertThat(gnmt.layer(2).savedActivationBytes()).isEqualTo(26_214_400L / 64);
    assertThat(gnmt.layer(2).measured().microBatchSize()).isEqualTo(64);
    assertThat(gnmt.layer(2).measured().forwardNanos()).isEqualTo(6_518_000L);
  }

  @Test
  void loaderDetectsGraphFiles() {
    ModelSpec vgg = ModelLoader.load(TestFiles.resource("pipedream/vgg16-graph.txt").toString());
    assertThat(vgg.layerCount()).isEqualTo(41);
  }

  @Test
  void loaderPassesTheBatchSizeOnlyToGraphs() {
    String graph = TestFiles.resource("pipedream/gnmt-graph.txt").toString();
    assertThat(ModelLoader.load(graph, 0, 64).layer(8).outputBytes()).isEqualTo(13_107_200L / 64);
    assertThatThrownBy(() -> ModelLoader.load("gpt-tiny", 0, 64))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("applies only to PipeDream graph.txt files");
  }

  @Test
  void rejectsCycles() {
    String text =
        "node1 -- A -- forward_compute_time=1, backward_compute_time=1, activation_size=1, parameter_size=0\n"
            + "node2 -- B -- forward_compute_time=1, backward_compute_time=1, activation_size=1, parameter_size=0\n"
            + "\tnode1 -- node2\n\tnode2 -- node1\n";
    assertThatThrownBy(() -> PipeDreamGraph.parse("g.txt", text, "g", 1))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("cycle")
        .hasMessageContaining("node1");
  }

  @Test
  void rejectsEdgeToUndefinedNode() {
    String text =
        "node1 -- A -- forward_compute_time=1, backward_compute_time=1, activation_size=1, parameter_size=0\n"
            + "\tnode1 -- node7\n";
    assertThatThrownBy(() -> PipeDreamGraph.parse("g.txt", text, "g", 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage("g.txt:2: edge names 'node7', which no node line defines");
  }

  @Test
  void rejectsNegativeTimeWithLineAndField() {
    String text =
        "node1 -- A -- forward_compute_time=-1, backward_compute_time=1, activation_size=1, parameter_size=0\n";
    assertThatThrownBy(() -> PipeDreamGraph.parse("g.txt", text, "g", 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "g.txt:1: node 'node1' forward_compute_time must be a finite number >= 0, got -1");
  }

  @Test
  void rejectsMissingField() {
    String text =
        "node1 -- A -- forward_compute_time=1, backward_compute_time=1, parameter_size=0\n";
    assertThatThrownBy(() -> PipeDreamGraph.parse("g.txt", text, "g", 1))
        .isInstanceOf(BadInputException.class)
        .hasMessage("g.txt:1: node 'node1' has no activation_size=...");
  }
}
