package dev.pipeplan.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanJsonTest {
  private static final String GOLDEN = "/golden/plan-two-stage.json";

  static String golden(String resource) throws IOException {
    try (InputStream in = PlanJsonTest.class.getResourceAsStream(resource)) {
      assertThat(in).as("resource " + resource).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void writesTheGoldenBytes() throws IOException {
    assertThat(PlanJson.write(PlanFixtures.twoStagePlan())).isEqualTo(golden(GOLDEN));
  }

  @Test
  void readsBackAnEqualPlan(@TempDir Path dir) {
    Plan plan = PlanFixtures.twoStagePlan();
    Path file = dir.resolve("plan.json");
    PlanJson.write(plan, file);
    Plan back = PlanJson.read(file);
    assertThat(back).isEqualTo(plan);
    assertThat(PlanJson.write(back)).isEqualTo(PlanJson.write(plan));
  }

  @Test
  void aPlanWrittenBeforeProvenanceReadsAsUnrecorded(@TempDir Path dir) throws IOException {
    String golden = golden(GOLDEN);
    int start = golden.indexOf("  \"provenance\" : {");
    int end = golden.indexOf("},\n", start) + 3;
    String old = golden.substring(0, start) + golden.substring(end);
    assertThat(old).doesNotContain("provenance");
    Path file = dir.resolve("old.json");
    Files.writeString(file, old);
    assertThat(PlanJson.read(file).provenance()).isEqualTo(Provenance.unrecorded());
  }

  @Test
  void namesFileFieldAndValueOfAMalformedField(@TempDir Path dir) throws IOException {
    String text =
        golden(GOLDEN).replace("\"microBatchCount\" : 4", "\"microBatchCount\" : \"four\"");
    Path file = dir.resolve("bad.json");
    Files.writeString(file, text);
    assertThatThrownBy(() -> PlanJson.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("microBatchCount")
        .hasMessageContaining("four");
  }

  @Test
  void rejectsAnInconsistentPlanNamingTheFields(@TempDir Path dir) throws IOException {
    String text = golden(GOLDEN).replace("\"globalBatch\" : 16", "\"globalBatch\" : 17");
    Path file = dir.resolve("inconsistent.json");
    Files.writeString(file, text);
    assertThatThrownBy(() -> PlanJson.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(
            "microBatchSize * microBatchCount * dp is 16, the global batch is 17");
  }

  @Test
  void rejectsAHandEditedPartitionNamingFileFieldAndBothValues(@TempDir Path dir)
      throws IOException {
    ObjectNode root = (ObjectNode) Json.json().readTree(golden(GOLDEN));
    ((ObjectNode) root.get("partition")).putArray("layerCounts").add(3).add(1);
    Path file = dir.resolve("moved.json");
    Files.writeString(file, Json.write(root));
    assertThatThrownBy(() -> PlanJson.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("plan file " + file + ": plan is inconsistent: ")
        .hasMessageContaining("stageCosts[0].staticBytes is 90000")
        .hasMessageContaining("partition.layerCounts [3, 1]")
        .hasMessageContaining("takes 162000");
  }

  @Test
  void namesThePlanFieldsAScheduleIsRefusedFor(@TempDir Path dir) throws IOException {
    Path grouped = dir.resolve("grouped.json");
    Files.writeString(grouped, golden(GOLDEN).replace("\"groupSize\" : 0", "\"groupSize\" : 3"));
    assertThatThrownBy(() -> PlanJson.read(grouped))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "plan file "
                + grouped
                + ": groupSize (3) applies only to interleaved, not to 1f1b. Maybe drop"
                + " groupSize.");
    Path capped = dir.resolve("capped.json");
    Files.writeString(
        capped,
        golden(GOLDEN)
            .replace("\"maxInFlightMicroBatches\" : 0", "\"maxInFlightMicroBatches\" : 1"));
    assertThatThrownBy(() -> PlanJson.read(capped))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(
            "plan file " + capped + ": maxInFlightMicroBatches (1) is below the 2 that 1f1b keeps")
        .hasMessageNotContaining("--");
  }

  @Test
  void putsPlanFieldsForOptionsOnlyAsWholeWords() {
    assertThat(
            PlanJson.inPlanTerms(
                "--microbatches (9) with --pp 2 and --pp-comm-overlap. Maybe use --microbatches 8"))
        .isEqualTo(
            "microBatchCount (9) with parallelism.pp 2 and --pp-comm-overlap. Maybe use"
                + " microBatchCount 8");
  }

  @Test
  void rejectsAnotherFormatVersion(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("v2.json");
    Files.writeString(
        file, golden(GOLDEN).replace("\"formatVersion\" : 1", "\"formatVersion\" : 2"));
    assertThatThrownBy(() -> PlanJson.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("formatVersion is 2");
  }

  @Test
  void rejectsANegativeStageCostNamingIt(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("neg.json");
    Files.writeString(
        file, golden(GOLDEN).replace("\"forwardNanos\" : 10000", "\"forwardNanos\" : -5"));
    assertThatThrownBy(() -> PlanJson.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("stageCosts[0]")
        .hasMessageContaining("forwardNanos must be >= 0, got -5");
  }

  @Test
  void namesTheFieldOfANumberOutOfRange(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("huge.json");
    Files.writeString(
        file,
        golden(GOLDEN).replace("\"microBatchCount\" : 4", "\"microBatchCount\" : 99999999999"));
    assertThatThrownBy(() -> PlanJson.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("plan file " + file + ": field 'microBatchCount'")
        .hasMessageContaining("99999999999");
  }

  @Test
  void refusesAnEmptyFileAndAnotherFormatByName(@TempDir Path dir) throws IOException {
    Path empty = dir.resolve("empty.json");
    Files.writeString(empty, "  \n");
    assertThatThrownBy(() -> PlanJson.read(empty))
        .isInstanceOf(BadInputException.class)
        .hasMessage("plan file " + empty + " is empty");
    Path run = dir.resolve("run.json");
    Files.writeString(run, "{ \"format\" : \"pipeplan-run\", \"version\" : 1 }");
    assertThatThrownBy(() -> PlanJson.read(run))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("plan file " + run + " is a measured run (from 'pipeplan run')");
  }

  @Test
  void reportsAMissingFileAndBrokenJson(@TempDir Path dir) throws IOException {
    assertThatThrownBy(() -> PlanJson.read(dir.resolve("nope.json")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("does not exist");
    Path file = dir.resolve("broken.json");
    Files.writeString(file, "{ \"formatVersion\" : ");
    assertThatThrownBy(() -> PlanJson.read(file))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(file.toString());
  }
}
