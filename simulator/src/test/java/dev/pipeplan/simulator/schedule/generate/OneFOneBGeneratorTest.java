package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.SplittableRandom;

class OneFOneBGeneratorTest extends ScheduleGeneratorContractTest {
  @Override
  ScheduleKind kind() {
    return ScheduleKind.ONE_F_ONE_B;
  }

  @Override
  ScheduleRequest randomAccepted(SplittableRandom random) {
    return ScheduleRequest.of(kind(), between(random, 1, 12), between(random, 1, 40), 1);
  }
}
