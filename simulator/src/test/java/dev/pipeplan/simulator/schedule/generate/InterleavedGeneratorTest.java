package dev.pipeplan.simulator.schedule.generate;

import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.SplittableRandom;

class InterleavedGeneratorTest extends ScheduleGeneratorContractTest {
  @Override
  ScheduleKind kind() {
    return ScheduleKind.INTERLEAVED_1F1B;
  }

  @Override
  ScheduleRequest randomAccepted(SplittableRandom random) {
    int p = between(random, 1, 12);
    int m = between(random, p, 40);
    int v = between(random, 2, 4);
    int g = random.nextBoolean() ? 0 : between(random, p, m);
    int last = m % (g == 0 ? p : g);
    if (last != 0 && last < p) {
      m -= last;
    }
    return new ScheduleRequest(kind(), p, m, v, g, 0);
  }

  @Override
  boolean accepts(ScheduleRequest request) {
    int p = request.deviceCount();
    int m = request.microBatchCount();
    return super.accepts(request) && m >= p && (m % p == 0 || m % p >= p);
  }
}
