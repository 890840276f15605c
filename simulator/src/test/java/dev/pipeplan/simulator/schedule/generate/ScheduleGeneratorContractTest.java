package dev.pipeplan.simulator.schedule.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.check.InFlight;
import dev.pipeplan.simulator.schedule.check.ScheduleValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The contract every schedule generator passes (JGraphT's {@code BaseColoringTest} pattern): over a
 * seeded sweep of the (p, m, v) the kind accepts, every action appears exactly once, the validator
 * finds no problem (dependencies respected, no deadlock, each stage on its device), only the kind's
 * action types and placement are used, and each device's in-flight peak equals the kind's promise.
 * Subclasses name the kind and the requests it accepts.
 */
abstract class ScheduleGeneratorContractTest {
  static final long SEED = 20240611L;
  static final int RANDOM_REQUESTS = 500;

  abstract ScheduleKind kind();

  /** A random request the kind accepts. */
  abstract ScheduleRequest randomAccepted(SplittableRandom random);

  /** Small requests the kind accepts, tried exhaustively. */
  List<ScheduleRequest> smallAccepted() {
    List<ScheduleRequest> requests = new ArrayList<>();
    for (int p = 1; p <= 6; p++) {
      for (int m = 1; m <= 14; m++) {
        for (int v = kind().minVirtualStages(); v <= Math.min(kind().maxVirtualStages(), 3); v++) {
          ScheduleRequest r = ScheduleRequest.of(kind(), p, m, v);
          if (accepts(r)) {
            requests.add(r);
          }
        }
      }
    }
    return requests;
  }

  /**
   * Whether the kind accepts the request; the default: it accepts every (p, m) with an accepted v.
   */
  boolean accepts(ScheduleRequest request) {
    return kind().acceptsVirtualStages(request.virtualStages());
  }

  /** Whether the in-flight promise is exact (else it is an upper bound). */
  boolean inFlightPromiseIsExact() {
    return true;
  }

  @Test
  void everySmallRequestGivesAValidScheduleKeepingItsPromise() {
    List<ScheduleRequest> requests = smallAccepted();
    assertThat(requests).isNotEmpty();
    for (ScheduleRequest r : requests) {
      checkContract(r, "small sweep");
    }
  }

  @Test
  void seededRandomRequestsGiveValidSchedulesKeepingTheirPromise() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < RANDOM_REQUESTS; i++) {
      ScheduleRequest r = randomAccepted(random);
      checkContract(r, "seed " + SEED + " draw " + i);
    }
  }

  @Test
  void generatingTwiceGivesEqualSchedules() {
    ScheduleRequest r = randomAccepted(new SplittableRandom(SEED + 1));
    assertThat(ScheduleGenerators.generate(r)).isEqualTo(ScheduleGenerators.generate(r));
  }

  @Test
  void rejectsAVirtualStageCountOutsideItsRange() {
    int bad =
        kind().maxVirtualStages() == Integer.MAX_VALUE
            ? kind().minVirtualStages() - 1
            : kind().maxVirtualStages() + 1;
    if (bad < 1) {
      return;
    }
    ScheduleRequest r = ScheduleRequest.of(kind(), 4, 16, bad);
    assertThatThrownBy(() -> ScheduleGenerators.generate(r))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("--virtual-stages (" + bad + ")");
  }

  void checkContract(ScheduleRequest r, String where) {
    String context =
        kind().id()
            + " p="
            + r.deviceCount()
            + " m="
            + r.microBatchCount()
            + " v="
            + r.virtualStages()
            + " g="
            + r.groupSize()
            + " limit="
            + r.maxInFlightMicroBatches()
            + " ("
            + where
            + ")";
    Schedule s = ScheduleGenerators.generate(r);
    assertThat(s.deviceCount()).as(context).isEqualTo(r.deviceCount());
    assertThat(s.microBatchCount()).as(context).isEqualTo(r.microBatchCount());
    assertThat(s.stageCount()).as(context).isEqualTo(r.deviceCount() * r.virtualStages());
    List<Integer> placement =
        kind().vShaped()
            ? Schedule.vShapePlacement(r.deviceCount())
            : Schedule.loopedPlacement(r.deviceCount(), r.virtualStages());
    assertThat(s.stageToDevice()).as(context).isEqualTo(placement);
    List<ActionType> types = kind().actionTypes();
    if (!types.contains(ActionType.B) || !types.contains(ActionType.I)) {
      int perStage = types.contains(ActionType.I) ? 3 : 2;
      assertThat(s.actionCount())
          .as(context)
          .isEqualTo(perStage * s.stageCount() * s.microBatchCount());
    }
    List<Action> foreign = new ArrayList<>();
    for (List<Action> actions : s.deviceActions()) {
      for (Action a : actions) {
        if (!types.contains(a.type())) {
          foreign.add(a);
        }
      }
    }
    assertThat(foreign).as(context + ": actions of types outside " + types).isEmpty();
    assertThat(ScheduleValidator.problems(s)).as(context).isEmpty();
    for (int d = 0; d < r.deviceCount(); d++) {
      int promised = ScheduleGenerators.maxInFlight(r, d);
      int walked = InFlight.peak(s, d);
      if (inFlightPromiseIsExact()) {
        assertThat(walked).as(context + ": in flight on device " + d).isEqualTo(promised);
      } else {
        assertThat(walked).as(context + ": in flight on device " + d).isLessThanOrEqualTo(promised);
      }
    }
  }

  static int between(SplittableRandom random, int low, int high) {
    return low + random.nextInt(high - low + 1);
  }
}
