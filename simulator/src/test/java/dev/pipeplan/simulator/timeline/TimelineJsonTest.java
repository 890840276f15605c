package dev.pipeplan.simulator.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimelineJsonTest {
  /** Two devices, one micro-batch, one transfer each way, memory on both devices. */
  static Timeline small() {
    Action f0 = Action.of(ActionType.F, 0, 0);
    Action f1 = Action.of(ActionType.F, 1, 0);
    Action b1 = Action.of(ActionType.B, 1, 0);
    Action b0 = Action.of(ActionType.B, 0, 0);
    return new Timeline(
        Timeline.PREDICTED,
        "hand \"made\"",
        2,
        List.of(
            new TimedAction(0, f0, 0, 1000),
            new TimedAction(0, b0, 4500, 6500),
            new TimedAction(1, f1, 1250, 2250),
            new TimedAction(1, b1, 2250, 4250)),
        List.of(
            new Transfer(1, 0, b1, b0, 4096, 4250, 4500),
            new Transfer(0, 1, f0, f1, 4096, 1000, 1250)),
        List.of(
            new MemoryPoint(0, 0, 1100),
            new MemoryPoint(0, 6500, 1000),
            new MemoryPoint(1, 1250, 1100),
            new MemoryPoint(1, 4250, 1000)));
  }

  private static String golden() throws IOException {
    try (InputStream in =
        TimelineJsonTest.class.getResourceAsStream("/timeline/small-timeline.json")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void writesTheGoldenBytes() throws IOException {
    assertThat(TimelineJson.write(small())).isEqualTo(golden());
  }

  @Test
  void readsWhatItWrites(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("t.json");
    Files.writeString(file, TimelineJson.write(small()));

    assertThat(TimelineJson.read(file)).isEqualTo(small());
    assertThat(TimelineJson.read(golden())).isEqualTo(small());
  }

  @Test
  void aTimelineSaysHowItWasMadeAndReadsBackTheSame() {
    dev.pipeplan.models.Provenance made =
        new dev.pipeplan.models.Provenance(
            "9.9", "fixed stage times \"1,2\" ms", "simulate: schedule 1f1b", "none");
    String json = TimelineJson.write(small(), made);
    assertThat(json).contains("\"provenance\"", "fixed stage times \\\"1,2\\\" ms");
    assertThat(TimelineJson.read(json)).isEqualTo(small());
    assertThat(TimelineJson.write(small())).doesNotContain("provenance");
  }

  @Test
  void writesEmptyListsAsEmptyArrays() {
    Timeline empty = new Timeline(Timeline.MEASURED, "none", 1, List.of(), List.of(), List.of());

    String json = TimelineJson.write(empty);

    assertThat(json).contains("\"actions\": [],\n").endsWith("\"memory\": []\n}\n");
    assertThat(TimelineJson.read(json)).isEqualTo(empty);
  }

  @Test
  void rejectsABadActionNamingTheField() {
    String bad = TimelineJson.write(small()).replace("\"0F0\"", "\"0X0\"");

    assertThatThrownBy(() -> TimelineJson.read(bad))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("actions[0]")
        .hasMessageContaining("'action' is '0X0'");
  }

  @Test
  void rejectsAnotherFormatAndMissingFields() {
    assertThatThrownBy(() -> TimelineJson.read("{\"format\": \"plan\", \"version\": 1}"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'format' is 'plan'");
    assertThatThrownBy(
            () -> TimelineJson.read("{\"format\": \"pipeplan-timeline\", \"version\": 1}"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("field 'actions' is missing");
    assertThatThrownBy(() -> TimelineJson.read("[1, 2"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("is truncated (ends inside [1], line 1)");
  }

  @Test
  void rejectsAnActionThatEndsBeforeItStarts() {
    String bad =
        TimelineJson.write(small())
            .replace(
                "\"startNanos\": 4500, \"endNanos\": 6500",
                "\"startNanos\": 6500, \"endNanos\": 4500");

    assertThatThrownBy(() -> TimelineJson.read(bad))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("ends (4500) before it starts (6500)");
  }

  @Test
  void metricsJsonHasTheDocumentedKeys() {
    Metrics metrics =
        new Metrics(
            33_000_000L, 3.0 / 11.0, List.of(new DeviceMetrics(0, 24_000_000L, 1 << 20, 4)));

    String json = MetricsJson.write(metrics, 8);

    assertThat(json).isEqualTo(MetricsJson.write(metrics, 8));
    assertThat(json)
        .contains(
            "\"iterationTimeMs\" : 33.0",
            "\"bubbleRatio\" : 0.2727272727272727",
            "\"throughputSamplesPerSecond\" : 242.42424242424244",
            "\"busyMs\" : 24.0",
            "\"peakMemoryBytes\" : 1048576",
            "\"peakInFlightMicroBatches\" : 4",
            "\"device\" : 0");
  }
}
