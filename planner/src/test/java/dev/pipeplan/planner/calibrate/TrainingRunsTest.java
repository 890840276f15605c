package dev.pipeplan.planner.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRunsTest {
  private static final String WHOLE = "must be a whole number between 1 and 2147483647, got ";
  private static final String SECONDS =
      "must be a number of seconds between 0.000001 (1 µs) and 604800 (a week), got ";

  @TempDir Path dir;

  /** One run of gpt2-small on eight A100s, with {@code field} set to the JSON {@code value}. */
  private Path runs(String field, String value) throws Exception {
    ObjectNode run =
        (ObjectNode)
            Json.json()
                .readTree(
                    "{\"id\": \"r1\", \"model\": \"gpt2-small\", \"cluster\": \"a100:1x8\","
                        + " \"tp\": 1, \"pp\": 1, \"microBatchSize\": 1, \"globalBatch\": 8,"
                        + " \"sequenceLength\": 1024, \"iterationSeconds\": 0.5}");
    if (field != null) {
      run.set(field, Json.json().readTree(value));
    }
    ObjectNode root = Json.json().createObjectNode();
    root.putArray("runs").add(run);
    Path file = dir.resolve("runs.json");
    Files.writeString(file, Json.json().writeValueAsString(root));
    return file;
  }

  private void refused(String field, String value, String message) throws Exception {
    Path file = runs(field, value);
    assertThatThrownBy(() -> TrainingRuns.read(file))
        .as(field + " = " + value)
        .isInstanceOf(BadInputException.class)
        .hasMessage(file + ": runs[0]." + field + " " + message);
  }

  private TrainingRun read(String field, String value) throws Exception {
    return TrainingRuns.read(runs(field, value)).get(0);
  }

  @Test
  void everyCountStatesItsRealLimitWhateverTheWrongValue() throws Exception {
    for (String field :
        List.of(
            "tp", "pp", "cp", "microBatchSize", "globalBatch", "sequenceLength", "virtualStages")) {
      for (String value : List.of("0", "-4", "2.5", "1e18", "3000000000", "true")) {
        refused(field, value, WHOLE + value.replace("1e18", "1.0E18"));
      }
      refused(field, "\"2\"", WHOLE + "'2' (a string: write the number without quotes)");
      refused(field, "[2]", WHOLE + "a list");
    }
  }

  @Test
  void aWholeNumberWrittenWithADecimalPointIsStillWhole() throws Exception {
    assertThat(read("globalBatch", "16.0").training().globalBatch()).isEqualTo(16);
  }

  @Test
  void booleansAreJsonBooleansOnly() throws Exception {
    for (String field :
        List.of(
            "fp8",
            "sequenceParallel",
            "tpCommOverlap",
            "ppCommOverlap",
            "ppScatterGather",
            "dpCommOverlap")) {
      refused(
          field,
          "\"true\"",
          "must be true or false, got 'true' (a string: write true or false without quotes)");
      refused(field, "1", "must be true or false, got 1");
    }
    assertThat(read("sequenceParallel", "false").training().sequenceParallel()).isFalse();
  }

  @Test
  void iterationSecondsIsANumberBetweenAMicrosecondAndAWeek() throws Exception {
    String unit =
        ". A measured training iteration lies between them; maybe the time is not in seconds";
    refused(
        "iterationSeconds", "\"5\"", SECONDS + "'5' (a string: write the number without quotes)");
    refused(
        "iterationSeconds", "\"-3\"", SECONDS + "'-3' (a string: write the number without quotes)");
    refused("iterationSeconds", "-3", SECONDS + "-3");
    refused("iterationSeconds", "0", SECONDS + "0");
    refused("iterationSeconds", "1e300", SECONDS + "1.0E300" + unit);
    refused("iterationSeconds", "1e-300", SECONDS + "1.0E-300" + unit);
    refused("iterationSeconds", "604801", SECONDS + "604801" + unit);
    refused("iterationSeconds", "9.9e-7", SECONDS + "9.9E-7" + unit);
    refused("iterationSeconds", "null", "is missing");
    assertThat(read("iterationSeconds", "0.000001").measuredIterationSeconds()).isEqualTo(1e-6);
    assertThat(read("iterationSeconds", "604800").measuredIterationSeconds()).isEqualTo(604800);
  }

  @Test
  void aPlanFilesNameForARunsFieldIsAnsweredWithTheRunsName() throws Exception {
    refused(
        "fp8Linears",
        "true",
        "is not a known field. Maybe you meant 'fp8'? It is a plan file's training.fp8Linears (the"
            + " same true or false).");
    refused(
        "blockingSends",
        "true",
        "is not a known field. Maybe you meant 'ppCommOverlap'? It is a plan file's"
            + " training.blockingSends (the other way round: true there is false).");
  }

  @Test
  void anUnknownFieldThatStartsAKnownNameOrStartsWithOneGetsThatName() throws Exception {
    refused("fp8Enabled", "true", "is not a known field. Maybe you meant 'fp8'?");
    refused("fp8Weight", "true", "is not a known field. Maybe you meant 'fp8WeightCasts'?");
    // a typo is still a typo, though it starts with tp
    refused("tpCommOverlab", "true", "is not a known field. Maybe you meant 'tpCommOverlap'?");
    refused("tpSize", "1", "is not a known field. Maybe you meant 'tp'?");
    refused(
        "ppCommOverlapEnabled", "true", "is not a known field. Maybe you meant 'ppCommOverlap'?");
    refused("micro", "1", "is not a known field. Maybe you meant 'microBatchSize'?");
    // two known names start with "seq": no guess between them
    refused("seq", "1024", "is not a known field.");
    refused("zzzzzz", "1", "is not a known field.");
  }

  @Test
  void theTopLevelSuggestsItsOwnFields() throws Exception {
    Path file = dir.resolve("top.json");
    JsonNode runs = Json.json().readTree(Files.readString(runs(null, null))).get("runs");
    ObjectNode root = Json.json().createObjectNode();
    root.set("runs", runs);
    root.put("descriptionText", "x");
    Files.writeString(file, Json.json().writeValueAsString(root));
    assertThatThrownBy(() -> TrainingRuns.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            file + ": descriptionText is not a known field. Maybe you meant 'description'?");
  }
}
