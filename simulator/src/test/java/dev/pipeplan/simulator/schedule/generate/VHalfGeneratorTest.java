package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.SplittableRandom;

class VHalfGeneratorTest extends ScheduleGeneratorContractTest {
  @Override
  ScheduleKind kind() {
    return ScheduleKind.V_HALF;
  }

  @Override
  ScheduleRequest randomAccepted(SplittableRandom random) {
    return ScheduleRequest.of(kind(), between(random, 1, 10), between(random, 1, 32), 2);
  }

  @Override
  boolean inFlightPromiseIsExact() {
    return false;
  }
}
