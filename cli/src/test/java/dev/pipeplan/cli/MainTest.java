package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class MainTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "models",
        "clusters",
        "schedule",
        "simulate",
        "plan",
        "export",
        "import-trace",
        "report",
        "profile",
        "run",
        "calibrate",
        "demo"
      })
  void everyCommandPrintsItsHelpEvenWithRequiredOptionsMissing(String command) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.execute(
            new String[] {command, "--help"},
            new PrintWriter(out, true),
            new PrintWriter(err, true));

    assertThat(code).as(err.toString()).isEqualTo(Main.EXIT_OK);
    assertThat(out.toString()).startsWith("Usage: pipeplan " + command);
    for (String line : out.toString().split("\n")) {
      assertThat(line.length()).as("help line of %s: %s", command, line).isLessThanOrEqualTo(120);
    }
  }

  @Test
  void theCommandsAboveAreAllTheCommands() {
    assertThat(new CommandLine(new Main()).getSubcommands().keySet())
        .containsExactlyInAnyOrder(
            "models",
            "clusters",
            "calibrate",
            "schedule",
            "simulate",
            "plan",
            "export",
            "import-trace",
            "report",
            "profile",
            "run",
            "demo",
            "help");
  }
}
