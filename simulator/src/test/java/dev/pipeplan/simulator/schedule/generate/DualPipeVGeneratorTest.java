package dev.pipeplan.simulator.schedule.generate;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DualPipeVGeneratorTest extends ScheduleGeneratorContractTest {
  @Override
  ScheduleKind kind() {
    return ScheduleKind.DUALPIPE_V;
  }

  @Override
  ScheduleRequest randomAccepted(SplittableRandom random) {
    int p = between(random, 1, 12);
    return ScheduleRequest.of(kind(), p, between(random, 2 * p, 2 * p + 40), 2);
  }

  @Override
  boolean accepts(ScheduleRequest request) {
    return super.accepts(request) && request.microBatchCount() >= 2 * request.deviceCount();
  }

  @Test
  void rejectsFewerMicroBatchesThanStages() {
    assertThatThrownBy(() -> ScheduleGenerators.generate(ScheduleRequest.of(kind(), 4, 7, 2)))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("microbatches (7) must be >= 8");
  }
}
