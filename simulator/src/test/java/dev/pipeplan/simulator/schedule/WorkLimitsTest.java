package dev.pipeplan.simulator.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.engine.CompiledSchedule;
import dev.pipeplan.simulator.schedule.check.ScheduleValidator;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkLimitsTest {

  @Test
  void countsTwoActionsPerStageAndMicroBatchOrThreeWhenTheBackwardIsSplit() {
    assertThat(WorkLimits.actionCount(ScheduleKind.ONE_F_ONE_B, 4, 1, 8)).isEqualTo(64);
    assertThat(WorkLimits.actionCount(ScheduleKind.ZB_H1, 4, 1, 8)).isEqualTo(96);
    assertThat(WorkLimits.actionCount(ScheduleKind.ZB_V, 4, 2, 8)).isEqualTo(192);
    assertThat(
            WorkLimits.actionCount(
                ScheduleKind.ONE_F_ONE_B, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE))
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void actionCountMatchesTheGeneratedSchedules() {
    for (ScheduleKind kind :
        List.of(ScheduleKind.GPIPE, ScheduleKind.ONE_F_ONE_B, ScheduleKind.ZB_H1)) {
      Schedule s = ScheduleGenerators.generate(ScheduleRequest.of(kind, 4, 8, 1));
      assertThat((long) s.actionCount())
          .as(kind.id())
          .isEqualTo(WorkLimits.actionCount(kind, 4, 1, 8));
    }
  }

  @Test
  void refusesAHugePipelineDegreeBeforeBuildingAnything() {
    // before the limit, this ran out of memory building 100,000 devices' action lists
    assertThatThrownBy(
            () ->
                ScheduleGenerators.generate(
                    ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, 100_000, 8, 1)))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "--pp (100000) is above the limit of 1024 pipeline devices. Maybe use --pp 1024 or"
                + " fewer (with data or tensor parallelism for the other devices).");
  }

  @Test
  void refusesHugeMicroBatchCountsWithACountThatFits() {
    // before the limit, this hung building 400 million actions
    assertThatThrownBy(
            () ->
                ScheduleGenerators.generate(
                    ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, 4, 100_000_000, 1)))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "--microbatches (100000000) is above the limit of 1,000,000 micro-batches per"
                + " iteration. Maybe use --microbatches 250000 or fewer (a larger micro-batch size"
                + " keeps the batch).");
  }

  @Test
  void refusesSchedulesOfMoreActionsThanTheLimit() {
    assertThatThrownBy(
            () ->
                ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ZB_H1, 64, 20_000, 1)))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "--microbatches (20000) with --pp 64 and 1 virtual stage(s) of zb-h1 gives 3,840,000"
                + " actions (pp x v x m x 3), above the limit of 2,000,000 per schedule. Maybe use"
                + " --microbatches 10416 or fewer (a larger micro-batch size keeps the batch).");
  }

  @Test
  void refusesTooManyVirtualStages() {
    assertThatThrownBy(
            () ->
                ScheduleGenerators.generate(
                    ScheduleRequest.of(ScheduleKind.INTERLEAVED_1F1B, 1024, 1024, 8)))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(
            "--virtual-stages (8) with --pp 1024 gives 8192 stages, above the limit of 4096")
        .hasMessageEndingWith("Maybe use --virtual-stages 4 or fewer.");
  }

  @Test
  void refusesABuiltScheduleWhoseShapeIsPastTheLimitsBeforeValidatingOrCompilingIt() {
    // a schedule read from a file: few actions, but a micro-batch count the validator and the
    // simulator would allocate tables for
    List<List<Action>> actions = new ArrayList<>();
    actions.add(List.of());
    actions.add(List.of());
    Schedule huge = new Schedule("file.csv", 2, 999_999, List.of(0, 1), actions);
    assertThatThrownBy(() -> ScheduleValidator.validate(huge))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("schedule 'file.csv' has 2 stages and 999999 micro-batches")
        .hasMessageContaining("above the limit of 2,000,000 per schedule");
    assertThatThrownBy(() -> CompiledSchedule.of(huge))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("above the limit of 2,000,000 per schedule");
  }
}
