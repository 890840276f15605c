package dev.pipeplan.simulator.schedule.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.check.InFlight;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ZeroBubbleAutoGeneratorTest extends ScheduleGeneratorContractTest {
  @Override
  ScheduleKind kind() {
    return ScheduleKind.ZB_AUTO;
  }

  @Override
  ScheduleRequest randomAccepted(SplittableRandom random) {
    int p = between(random, 1, 12);
    int limit = random.nextInt(4) == 0 ? 0 : between(random, 1, 2 * p + 2);
    return new ScheduleRequest(kind(), p, between(random, 1, 40), 1, 0, limit);
  }

  @Override
  List<ScheduleRequest> smallAccepted() {
    List<ScheduleRequest> requests = new ArrayList<>();
    for (int p = 1; p <= 5; p++) {
      for (int m = 1; m <= 10; m++) {
        for (int limit = 0; limit <= 2 * p; limit++) {
          requests.add(new ScheduleRequest(kind(), p, m, 1, 0, limit));
        }
      }
    }
    return requests;
  }

  @Override
  boolean inFlightPromiseIsExact() {
    return false;
  }

  @Test
  void aLimitOfPKeepsWithinPAndStillDefersWeightGradients() {
    Schedule s = ScheduleGenerators.generate(new ScheduleRequest(kind(), 4, 8, 1, 0, 4));
    assertThat(InFlight.peakPerDevice(s)).allMatch(peak -> peak <= 4);
    List<Action> last = s.deviceActions().get(0);
    assertThat(last.get(last.size() - 1).type()).isEqualTo(ActionType.W);
  }
}
