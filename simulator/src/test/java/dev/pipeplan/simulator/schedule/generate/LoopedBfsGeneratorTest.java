package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.SplittableRandom;

class LoopedBfsGeneratorTest extends ScheduleGeneratorContractTest {
  @Override
  ScheduleKind kind() {
    return ScheduleKind.LOOPED_BFS;
  }

  @Override
  ScheduleRequest randomAccepted(SplittableRandom random) {
    return ScheduleRequest.of(
        kind(), between(random, 1, 12), between(random, 1, 32), between(random, 1, 4));
  }
}
