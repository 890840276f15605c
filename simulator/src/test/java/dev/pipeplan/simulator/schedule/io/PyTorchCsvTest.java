package dev.pipeplan.simulator.schedule.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.check.ScheduleValidator;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PyTorchCsvTest {
  static String resource(String name) {
    try (InputStream in = PyTorchCsvTest.class.getResourceAsStream("pytorch/" + name)) {
      assertThat(in).as("resource pytorch/" + name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static Schedule readResource(String name, boolean legacy) {
    return PyTorchCsv.read(resource(name), name, legacy);
  }

  @Test
  void pytorchOneFOneBImportsValidatesAndMatchesOurOneFOneB() {
    Schedule imported = readResource("schedule1f1b-p4-m8.csv", false);
    assertThat(ScheduleValidator.problems(imported)).isEmpty();
    Schedule ours =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, 4, 8, 1));
    assertThat(imported.deviceActions()).isEqualTo(ours.deviceActions());
    assertThat(imported.stageToDevice()).isEqualTo(ours.stageToDevice());
  }

  @Test
  void spreadsheetsByteOrderMarkIsNotPartOfTheFirstCell() {
    // was: "row 1 column 1: cell '\uFEFF0F0' is not <stage><TYPE><microbatch>"
    String csv = resource("schedule1f1b-p4-m8.csv");
    Schedule withMark = PyTorchCsv.read("\uFEFF" + csv.replace("\n", "\r\n"), "excel.csv", false);
    assertThat(withMark.deviceActions())
        .isEqualTo(PyTorchCsv.read(csv, "x.csv", false).deviceActions());
  }

  @Test
  void pytorchInterleavedImportsValidatesAndMatchesOurInterleavedWithGroupSizeP() {
    Schedule imported = readResource("interleaved1f1b-p4-m8-v2.csv", false);
    assertThat(ScheduleValidator.problems(imported)).isEmpty();
    assertThat(imported.stageToDevice()).isEqualTo(Schedule.loopedPlacement(4, 2));
    Schedule ours =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.INTERLEAVED_1F1B, 4, 8, 2));
    assertThat(imported.deviceActions()).isEqualTo(ours.deviceActions());
  }

  @Test
  void pytorchZeroBubbleVImportsAndMatchesOurZeroBubbleVInBothSpellings() {
    Schedule current = readResource("zbv-p4-m8.csv", false);
    Schedule legacy = readResource("zbv-p4-m8-legacy.csv", true);
    Schedule ours = ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ZB_V, 4, 8, 2));
    assertThat(ScheduleValidator.problems(current)).isEmpty();
    assertThat(current.stageToDevice()).isEqualTo(Schedule.vShapePlacement(4));
    assertThat(current.deviceActions()).isEqualTo(ours.deviceActions());
    assertThat(legacy.deviceActions()).isEqualTo(ours.deviceActions());
  }

  @Test
  void pytorchDualPipeVImportsWithOverlappedPairsAsConsecutiveActions() {
    Schedule imported = readResource("dualpipev-p4-m8.csv", false);
    assertThat(ScheduleValidator.problems(imported)).isEmpty();
    Schedule ours =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.DUALPIPE_V, 4, 8, 2));
    assertThat(imported.deviceActions()).isEqualTo(ours.deviceActions());
  }

  @Test
  void pytorchOneFOneBPipelineOrderNumberingOfTheLastRankFailsValidation() {
    Schedule imported = readResource("schedule1f1b-p4-m8-last-rank-numbering.csv", false);
    assertThat(imported.microBatchCount()).isEqualTo(9);
    assertThat(ScheduleValidator.problems(imported))
        .contains("stage 3 micro-batch 0 has 0 F actions, expected 1");
  }

  @Test
  void everyGeneratedKindRoundTripsThroughCsvInBothSpellings() {
    for (ScheduleKind kind : ScheduleKind.values()) {
      int m = kind == ScheduleKind.DUALPIPE_V ? 10 : 8;
      Schedule s =
          ScheduleGenerators.generate(ScheduleRequest.of(kind, 4, m, kind.defaultVirtualStages()));
      for (boolean legacy : new boolean[] {false, true}) {
        Schedule back = PyTorchCsv.read(PyTorchCsv.write(s, legacy), "back.csv", legacy);
        assertThat(back.deviceActions())
            .as(kind.id() + " legacy=" + legacy)
            .isEqualTo(s.deviceActions());
        assertThat(back.stageToDevice()).as(kind.id()).isEqualTo(s.stageToDevice());
        assertThat(back.microBatchCount()).as(kind.id()).isEqualTo(m);
      }
    }
  }

  @Test
  void writesOneFOneBInUnitStepsWithEmptyIdleCells() {
    Schedule s = ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, 2, 3, 1));
    assertThat(PyTorchCsv.write(s))
        .isEqualTo("0F0,0F1,,0B0,0F2,0B1,,0B2\n" + ",1F0,1B0,1F1,1B1,1F2,1B2\n");
  }

  @Test
  void writesTheLegacySpelling() {
    Schedule s = ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ZB_H1, 1, 1, 1));
    assertThat(PyTorchCsv.write(s, true)).isEqualTo("0F0,0B0,0W0\n");
    Schedule fused = ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.GPIPE, 1, 1, 1));
    assertThat(PyTorchCsv.write(fused, true)).isEqualTo("0F0,0BW0\n");
  }

  @Test
  void readsWindowsLineEndsQuotedCellsAndSkipsCommunicationCells() {
    Schedule s =
        PyTorchCsv.read(
            "0F0,0SEND_F0,\"0B0\"\r\n1RECV_F0,1F0,1B0,1SEND_B0,1REDUCE_GRAD\r\n", "x.csv", false);
    assertThat(s.deviceActions())
        .isEqualTo(
            List.of(
                List.of(Action.of(ActionType.F, 0, 0), Action.of(ActionType.B, 0, 0)),
                List.of(Action.of(ActionType.F, 1, 0), Action.of(ActionType.B, 1, 0))));
    assertThat(s.stageToDevice()).containsExactly(0, 1);
  }

  @Test
  void rejectsAnUnknownActionTypeNamingRowColumnAndCell() {
    assertThatThrownBy(() -> PyTorchCsv.read("0F0,0X0\n", "bad.csv", false))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("row 1 column 2")
        .hasMessageContaining("'0X0'");
  }

  @Test
  void suggestsTheLegacyFlagWhenTheCurrentSpellingMeetsBw() {
    assertThatThrownBy(() -> PyTorchCsv.read("0F0,0BW0\n", "old.csv", false))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("legacy");
  }

  @Test
  void rejectsAStageOnTwoRanks() {
    assertThatThrownBy(() -> PyTorchCsv.read("0F0,0B0\n0F1,0B1\n", "two.csv", false))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("stage 0 appears on rank 0 and rank 1");
  }

  @Test
  void rejectsACellWithoutMicroBatch() {
    assertThatThrownBy(() -> PyTorchCsv.read("0F\n", "short.csv", false))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("no micro-batch index");
  }
}
