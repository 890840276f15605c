package dev.pipeplan.executor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class MachineSpeedTest {
  private static MachineSpeed of(long... samples) {
    MachineSpeed speed = new MachineSpeed();
    for (long s : samples) {
      speed.add(s);
    }
    return speed;
  }

  @Test
  void anIterationIsSlowWhenEitherProbeAroundItRanOverTheMarginAboveTheMedian() {
    // Samples 100, 105, 130, 100, 116, 110: median (lower middle) 105.
    MachineSpeed speed = of(100, 105, 130, 100, 116, 110);
    assertThat(speed.iterations()).isEqualTo(5);
    assertThat(speed.slowdowns())
        .satisfiesExactly(
            s -> assertThat(s).isCloseTo(0.0, within(1e-12)),
            s -> assertThat(s).isCloseTo(130 / 105.0 - 1, within(1e-12)),
            s -> assertThat(s).isCloseTo(130 / 105.0 - 1, within(1e-12)),
            s -> assertThat(s).isCloseTo(116 / 105.0 - 1, within(1e-12)),
            s -> assertThat(s).isCloseTo(116 / 105.0 - 1, within(1e-12)));
    // 15% is the margin: 116 is within it, 130 is not.
    assertThat(ThreadedRunner.normal(speed.slowdowns(), List.of())).containsExactly(0, 3, 4);
  }

  @Test
  void theUsualSpeedFollowsTheSamples() {
    MachineSpeed speed = of(100, 125, 128);
    // Median 125: the 100 sample is merely faster than usual.
    assertThat(ThreadedRunner.normal(speed.slowdowns(), List.of())).containsExactly(0, 1);
    speed.add(100);
    speed.add(100);
    // Median 100 now: 125 and 128 are slow.
    assertThat(ThreadedRunner.normal(speed.slowdowns(), List.of())).containsExactly(3);
  }

  @Test
  void oneSampleBracketsNothingAndABadSampleIsRefused() {
    assertThat(of(100).iterations()).isZero();
    assertThat(of(100).slowdowns()).isEmpty();
    assertThatThrownBy(() -> of(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theProbeTimesItsWorkOnEveryThread() {
    try (SpeedProbe probe = new SpeedProbe(2)) {
      long first = probe.sampleNanos();
      long second = probe.sampleNanos();
      assertThat(first).isPositive();
      assertThat(second).isPositive();
    }
    assertThatThrownBy(() -> new SpeedProbe(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theWorkloadProbeRunsItsProductsThroughTheOpsAndFreesThemOnClose() {
    dev.pipeplan.executor.core.ops.HostOps ops = new dev.pipeplan.executor.core.ops.HostOps();
    try (SpeedProbe probe = new SpeedProbe(2, ops)) {
      assertThat(probe.sampleNanos()).isPositive();
      // Three operands on each of the two threads.
      assertThat(ops.liveTensors()).isEqualTo(6);
    }
    assertThat(ops.liveTensors()).isZero();
  }
}
