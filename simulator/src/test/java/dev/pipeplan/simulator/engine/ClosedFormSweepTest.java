package dev.pipeplan.simulator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import org.junit.jupiter.api.Test;

/**
 * The generated schedules against their closed forms, swept over p, m and v with uniform stages and
 * free links: each stage's F, I and W take one unit (B = I + W two).
 */
class ClosedFormSweepTest {
  private static final long UNIT = 1_000_000L;

  private static long simulate(ScheduleKind kind, int p, int m, int v) {
    int stages = p * v;
    return Simulator.iterationNanos(
        CompiledSchedule.of(ScheduleGenerators.generate(ScheduleRequest.of(kind, p, m, v))),
        StageCosts.uniform(stages, StageCost.ofTimes(UNIT, UNIT, UNIT)));
  }

  @Test
  void gpipeAndOneFOneBTake_mPlusPMinusOne_timesFPlusB() {
    for (int p = 1; p <= 8; p++) {
      for (int m = 1; m <= 24; m++) {
        long expected = (m + p - 1) * 3 * UNIT;
        assertThat(simulate(ScheduleKind.GPIPE, p, m, 1))
            .as("gpipe p=%d m=%d", p, m)
            .isEqualTo(expected);
        assertThat(simulate(ScheduleKind.ONE_F_ONE_B, p, m, 1))
            .as("1f1b p=%d m=%d", p, m)
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void interleavedShrinksTheBubbleByV() {
    // Megatron's interleaved 1F1B, m a multiple of p (Narayanan et al. 2021): each device runs m·v
    // chunks of F + B = 3 units and idles (p − 1) chunks' F + B, the bubble of 1F1B over v.
    for (int p = 2; p <= 6; p++) {
      for (int v = 2; v <= 4; v++) {
        for (int m = p; m <= 4 * p; m += p) {
          long expected = ((long) m * v + p - 1) * 3 * UNIT;
          assertThat(simulate(ScheduleKind.INTERLEAVED_1F1B, p, m, v))
              .as("interleaved p=%d m=%d v=%d", p, m, v)
              .isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void zeroBubbleH1KeepsABubbleOfPMinusOneTimesFPlusIMinusW() {
    // Qi et al. (ICLR 2024), ZB-H1: 1F1B's memory with a bubble of (p − 1)(T_F + T_I − T_W).
    for (int p = 2; p <= 8; p++) {
      for (int m = p; m <= 3 * p; m++) {
        long expected = (3L * m + (p - 1) * (1 + 1 - 1)) * UNIT;
        assertThat(simulate(ScheduleKind.ZB_H1, p, m, 1))
            .as("zb-h1 p=%d m=%d", p, m)
            .isEqualTo(expected);
      }
    }
  }
}
