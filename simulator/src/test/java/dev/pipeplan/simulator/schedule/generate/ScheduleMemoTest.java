package dev.pipeplan.simulator.schedule.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ScheduleMemoTest {
  @Test
  void equalRequestsHitAndTheEldestGoBeyondTheEntryLimit() {
    ScheduleMemo memo = new ScheduleMemo();
    AtomicInteger generated = new AtomicInteger();
    ScheduleGenerator h1 = new ZeroBubbleH1Generator();
    for (int m = 1; m <= ScheduleMemo.MAX_ENTRIES + 1; m++) {
      ScheduleRequest r = ScheduleRequest.of(ScheduleKind.ZB_H1, 2, m, 1);
      memo.get(
          r,
          x -> {
            generated.incrementAndGet();
            return h1.generate(x);
          });
    }
    assertThat(generated).hasValue(ScheduleMemo.MAX_ENTRIES + 1);
    ScheduleRequest newest =
        ScheduleRequest.of(ScheduleKind.ZB_H1, 2, ScheduleMemo.MAX_ENTRIES + 1, 1);
    Schedule hit =
        memo.get(
            newest,
            x -> {
              throw new AssertionError("regenerated " + x);
            });
    assertThat(hit.microBatchCount()).isEqualTo(ScheduleMemo.MAX_ENTRIES + 1);
    // m = 1 was the least recently used: it went when the limit was passed.
    memo.get(
        ScheduleRequest.of(ScheduleKind.ZB_H1, 2, 1, 1),
        x -> {
          generated.incrementAndGet();
          return h1.generate(x);
        });
    assertThat(generated).hasValue(ScheduleMemo.MAX_ENTRIES + 2);
  }
}
