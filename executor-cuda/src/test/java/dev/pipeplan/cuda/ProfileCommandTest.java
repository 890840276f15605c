package dev.pipeplan.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CUDA entry point's checks of profile options, before any GPU is opened. */
class ProfileCommandTest {
  @ParameterizedTest
  @ValueSource(strings = {"0", "-2"})
  void cliRejectsConcurrentWorkersBelowOneWithExitTwo(String value) {
    StringWriter err = new StringWriter();
    int code =
        CudaMain.execute(
            new String[] {"profile", "--model", "gpt2-tiny", "--concurrent-workers", value},
            new PrintWriter(new StringWriter()),
            new PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .contains("--concurrent-workers must be > 0, got " + value)
        .doesNotContain("Exception");
    err.getBuffer().setLength(0);
    code =
        CudaMain.execute(
            new String[] {"gpu-check", "-o", "out", "--profile-streams", "-1"},
            new PrintWriter(new StringWriter()),
            new PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--profile-streams must be >= 1 (or 0 for --pp), got -1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"cycles", "gpu"})
  void cliRejectsAnUnknownClockWithExitTwo(String value) {
    StringWriter err = new StringWriter();
    int code =
        CudaMain.execute(
            new String[] {"profile", "--model", "gpt2-tiny", "--clock", value},
            new PrintWriter(new StringWriter()),
            new PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("error: clock '" + value + "' is unknown; use cpu or wall");
  }
}
