package dev.pipeplan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

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

  /**
   * Picocli formats every description with String.format: a bare '%' ("8%") fails there, prints a
   * "[picocli WARN] Could not format" line on stderr with every --help, and shows the raw text. The
   * spec hands back descriptions already formatted, so the annotations' own texts are checked.
   */
  @Test
  void everyHelpTextIsAValidFormatString() {
    java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>();
    todo.add(new CommandLine(new Main()));
    int checked = 0;
    while (!todo.isEmpty()) {
      CommandLine command = todo.poll();
      todo.addAll(command.getSubcommands().values());
      CommandLine.Model.CommandSpec spec = command.getCommandSpec();
      java.util.List<String> texts = new java.util.ArrayList<>();
      CommandLine.Command annotation =
          spec.userObject().getClass().getAnnotation(CommandLine.Command.class);
      if (annotation != null) {
        texts.addAll(java.util.List.of(annotation.description()));
      }
      for (CommandLine.Model.ArgSpec arg : spec.args()) {
        if (arg.userObject() instanceof java.lang.reflect.AnnotatedElement element) {
          CommandLine.Option option = element.getAnnotation(CommandLine.Option.class);
          CommandLine.Parameters parameters = element.getAnnotation(CommandLine.Parameters.class);
          texts.addAll(java.util.List.of(option != null ? option.description() : new String[0]));
          texts.addAll(
              java.util.List.of(parameters != null ? parameters.description() : new String[0]));
        }
      }
      for (String text : texts) {
        checked++;
        assertThatCode(() -> String.format(text))
            .as("help text of %s: %s", spec.qualifiedName(), text.replace("%", "%%"))
            .doesNotThrowAnyException();
      }
    }
    assertThat(checked).isGreaterThan(100);
  }
}
