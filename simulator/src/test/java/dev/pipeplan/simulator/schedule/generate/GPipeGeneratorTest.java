package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.SplittableRandom;

class GPipeGeneratorTest extends ScheduleGeneratorContractTest {
  @Override
  ScheduleKind kind() {
    return ScheduleKind.GPIPE;
  }

  @Override
  ScheduleRequest randomAccepted(SplittableRandom random) {
    return ScheduleRequest.of(kind(), between(random, 1, 12), between(random, 1, 40), 1);
  }
}
