package dev.pipeplan.simulator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import org.junit.jupiter.api.Test;

class JitterTest {
  private static final StageCost STAGE = StageCost.ofTimes(1_000_000, 1_000_000, 1_000_000);

  private static Jitter.Spread spread(ScheduleKind kind, int pp, int v, double cv) {
    Schedule s = ScheduleGenerators.generate(new ScheduleRequest(kind, pp, 8, v, 0, 0));
    CompiledSchedule c = CompiledSchedule.of(s);
    return Jitter.of(c, StageCosts.uniform(s.stageCount(), STAGE), cv);
  }

  @Test
  void withoutJitterEveryDrawIsTheSimulatorsIteration() {
    Jitter.Spread none = spread(ScheduleKind.ONE_F_ONE_B, 4, 1, 0);
    assertThat(none.medianNanos()).isEqualTo(none.meanDurationsNanos());
    assertThat(none.p10Nanos()).isEqualTo(none.p90Nanos()).isEqualTo(none.meanNanos());
    assertThat(none.medianStretch()).isZero();
  }

  @Test
  void waitsOnOtherDevicesMakeTheExpectedIterationLongerTheMoreOftenTheyWait() {
    // one device: the iteration is a sum of durations of mean 1, so noise does not lengthen it
    Jitter.Spread alone = spread(ScheduleKind.ONE_F_ONE_B, 1, 1, 0.1);
    Jitter.Spread pipelined = spread(ScheduleKind.ONE_F_ONE_B, 4, 1, 0.1);
    Jitter.Spread interleaved = spread(ScheduleKind.INTERLEAVED_1F1B, 4, 2, 0.1);
    assertThat(Math.abs(alone.meanNanos() / (double) alone.meanDurationsNanos() - 1))
        .isLessThan(0.01);
    assertThat(pipelined.meanNanos()).isGreaterThan(pipelined.meanDurationsNanos());
    assertThat(interleaved.medianStretch()).isGreaterThan(alone.medianStretch());
    assertThat(pipelined.p90Nanos()).isGreaterThan(pipelined.p10Nanos());
    assertThat(pipelined.text())
        .startsWith("with 10.0% jitter per action (200 draws): iteration median ");
  }

  @Test
  void theSameInputGivesTheSameDraws() {
    assertThat(spread(ScheduleKind.ZB_H1, 4, 1, 0.08))
        .isEqualTo(spread(ScheduleKind.ZB_H1, 4, 1, 0.08));
  }

  @Test
  void refusesACoefficientOfVariationOutOfRange() {
    for (double cv : new double[] {-0.1, 1.5, Double.NaN}) {
      assertThatThrownBy(() -> spread(ScheduleKind.GPIPE, 2, 1, cv))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("jitter must be a coefficient of variation from 0 to 1.0");
    }
  }
}
