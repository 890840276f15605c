package dev.pipeplan.simulator.schedule;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.zoo.Zoo;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import org.junit.jupiter.api.Test;

/** The checks every consumer of a partition makes: its layers and its stages. */
class PartitionChecksTest {
  private static final ModelSpec TINY = Zoo.get("gpt-tiny");

  @Test
  void aPartitionMustCoverTheModelsLayersExactly() {
    int n = TINY.layerCount();
    assertThatCode(() -> Partition.uniform(n, 2).requireCovers(TINY)).doesNotThrowAnyException();
    assertThatThrownBy(() -> Partition.uniform(n - 1, 2).requireCovers(TINY))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("covers " + (n - 1) + " layers but model 'gpt-tiny' has " + n);
  }

  @Test
  void aPartitionMustHaveOneStagePerStageOfTheSchedule() {
    Schedule schedule =
        ScheduleGenerators.generate(ScheduleRequest.of(ScheduleKind.ONE_F_ONE_B, 2, 4, 1));
    assertThatCode(() -> Partition.of(3, 3).requireStagesOf(schedule)).doesNotThrowAnyException();
    assertThatThrownBy(() -> Partition.of(2, 2, 2).requireStagesOf(schedule))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("has 3 stages but schedule '" + schedule.name() + "' has 2");
  }
}
