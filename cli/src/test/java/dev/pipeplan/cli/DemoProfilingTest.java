package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.executor.profile.Profiler;
import org.junit.jupiter.api.Test;

/** The demo profiles the micro-batch sizes its global batch can use, no larger. */
class DemoProfilingTest {
  @Test
  void profilesOnlySizesTheGlobalBatchAllows() {
    // a global batch of 2 profiled b = 8, whose memory refused gpt2 (124M) on this machine
    assertThat(DemoCommand.profilingOptions(2, 2).microBatchSizes()).containsExactly(1, 2);
    assertThat(DemoCommand.profilingOptions(2, 1).microBatchSizes()).containsExactly(1);
    assertThat(DemoCommand.profilingOptions(2, 6).microBatchSizes()).containsExactly(1, 2, 4);
    Profiler.Options defaults = DemoCommand.profilingOptions(3, 16);
    assertThat(defaults.microBatchSizes()).isEqualTo(Profiler.Options.defaults().microBatchSizes());
    assertThat(defaults.concurrentWorkers()).isEqualTo(3);
  }
}
