package dev.pipeplan.executor.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MachineLoadTest {
  @Test
  void parsesTheCpuLineOfProcStat() {
    long[] t = MachineLoad.parseCpuLine("cpu  100 5 50 800 10 3 2 30 0 0");
    assertThat(t[0]).isEqualTo(100 + 5 + 50 + 3 + 2);
    assertThat(t[1]).isEqualTo(30);
    assertThat(t[2]).isEqualTo(100 + 5 + 50 + 800 + 10 + 3 + 2 + 30);
  }

  @Test
  void otherProcessesAreTheMachinesBusyCoresLessOurOwn() {
    // 2 cores, 1 s: 200 ticks; 150 busy; this process used 0.5 s of CPU: others held 1.0 core
    MachineLoad before = new MachineLoad(0, 0, 0, 0, 0);
    MachineLoad after = new MachineLoad(150, 20, 200, 500_000_000L, 1_000_000_000L);
    assertThat(after.otherProcessCoresSince(before, 2)).isCloseTo(1.0, within(1e-9));
    assertThat(after.stealFractionSince(before)).isCloseTo(0.1, within(1e-9));
    MachineLoad unknown = new MachineLoad(-1, -1, -1, 0, 0);
    assertThat(after.otherProcessCoresSince(unknown, 2)).isEqualTo(-1);
  }
}
