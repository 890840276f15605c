package dev.pipeplan.reports.trace;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.reports.TestTimelines;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChromeTraceTest {
  @TempDir Path dir;

  @Test
  void hasOneCompleteEventPerActionWithItsTimesInMicroseconds() throws Exception {
    Timeline timeline = TestTimelines.oneFOneB(2, 4);
    JsonNode trace = Json.json().readTree(ChromeTrace.toJson(timeline));
    assertThat(trace.get("displayTimeUnit").asText()).isEqualTo("ms");
    List<JsonNode> complete = events(trace, "X");
    assertThat(complete).hasSize(timeline.actions().size());
    for (int i = 0; i < complete.size(); i++) {
      TimedAction a = timeline.actions().get(i);
      JsonNode e = complete.get(i);
      assertThat(e.get("name").asText()).isEqualTo(a.action().toString());
      assertThat(e.get("cat").asText()).isEqualTo(a.action().type().name());
      assertThat(e.get("ts").decimalValue().movePointRight(3).longValueExact())
          .isEqualTo(a.startNanos());
      assertThat(e.get("dur").decimalValue().movePointRight(3).longValueExact())
          .isEqualTo(a.durationNanos());
      assertThat(e.get("pid").asInt()).isEqualTo(1);
      assertThat(e.get("tid").asInt()).isEqualTo(a.device());
      assertThat(e.get("args").get("stage").asInt()).isEqualTo(a.action().stage());
      assertThat(e.get("args").get("microBatch").asInt()).isEqualTo(a.action().microBatch());
    }
  }

  @Test
  void keepsFractionalMicrosecondsExactly() throws Exception {
    Timeline timeline =
        new Timeline(
            Timeline.PREDICTED,
            "t",
            1,
            List.of(new TimedAction(0, Action.of(ActionType.F, 0, 0), 1_234_567, 2_000_001)),
            List.of(),
            List.of());
    String json = ChromeTrace.toJson(timeline);
    assertThat(json).contains("\"ts\": 1234.567").contains("\"dur\": 765.434");
    assertThat(ChromeTrace.micros(3_000_000)).isEqualTo("3000");
    assertThat(ChromeTrace.micros(0)).isEqualTo("0");
    assertThat(ChromeTrace.micros(1)).isEqualTo("0.001");
  }

  @Test
  void namesPredictedAndMeasuredProcessesAndEveryDeviceThread() throws Exception {
    Timeline predicted = TestTimelines.zeroBubbleLike(3, 4, 100_000);
    Timeline measured = TestTimelines.measured(3, 4, 100_000, 5);
    JsonNode trace = Json.json().readTree(ChromeTrace.toJson(predicted, measured));
    List<String> processes = new ArrayList<>();
    int threads = 0;
    for (JsonNode e : events(trace, "M")) {
      if (e.get("name").asText().equals("process_name")) {
        processes.add(e.get("pid").asInt() + "=" + e.get("args").get("name").asText());
      } else if (e.get("name").asText().equals("thread_name")) {
        threads++;
      }
    }
    assertThat(processes).containsExactly("1=predicted: zb-like", "2=measured: zb-like");
    assertThat(threads).isEqualTo(6);
    long measuredEvents =
        events(trace, "X").stream().filter(e -> e.get("pid").asInt() == 2).count();
    assertThat(measuredEvents).isEqualTo(measured.actions().size());
    assertThat(events(trace, "b"))
        .hasSize(predicted.transfers().size() + measured.transfers().size());
    assertThat(events(trace, "e")).hasSameSizeAs(events(trace, "b"));
  }

  @Test
  void sameTimelinesGiveSameBytes() throws Exception {
    Timeline timeline = TestTimelines.zeroBubbleLike(3, 6, 50_000);
    ChromeTrace.write(List.of(timeline), dir.resolve("a.json"));
    ChromeTrace.write(List.of(timeline), dir.resolve("b.json"));
    assertThat(Files.readAllBytes(dir.resolve("a.json")))
        .isEqualTo(Files.readAllBytes(dir.resolve("b.json")));
    assertThat(Files.readString(dir.resolve("a.json"))).isEqualTo(ChromeTrace.toJson(timeline));
  }

  @Test
  void escapesNamesThatAreNotPlainText() throws Exception {
    Timeline timeline =
        new Timeline(
            "measured",
            "my \"odd\"\\schedule",
            1,
            List.of(new TimedAction(0, Action.of(ActionType.F, 0, 0), 0, 10)),
            List.of(),
            List.of());
    JsonNode trace = Json.json().readTree(ChromeTrace.toJson(timeline));
    assertThat(trace.get("traceEvents").get(0).get("args").get("name").asText())
        .isEqualTo("measured: my \"odd\"\\schedule");
  }

  private static List<JsonNode> events(JsonNode trace, String phase) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode e : trace.get("traceEvents")) {
      if (e.get("ph").asText().equals(phase)) {
        out.add(e);
      }
    }
    return out;
  }
}
