package dev.pipeplan.executor.core.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

class CommandLinesTest {
  @Command(
      name = "top",
      subcommands = {Sub.class})
  static final class Top implements Runnable {
    @Mixin StacktraceOption stacktrace;

    @Override
    public void run() {}
  }

  @Command(name = "sub")
  static final class Sub implements Callable<Integer> {
    @Option(names = "--fail", defaultValue = "none")
    String fail;

    @Mixin RunOptions run;

    @Override
    public Integer call() {
      switch (fail) {
        case "input":
          throw new BadInputException("--fail is bad input");
        case "state":
          throw new IllegalStateException("it broke");
        case "silent":
          throw new IllegalStateException();
        default:
          return CommandLines.EXIT_OK;
      }
    }
  }

  private record Result(int code, String err) {}

  private static Result execute(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli =
        CommandLines.configure(
            new CommandLine(new Top()),
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err, true));
    return new Result(cli.execute(args), err.toString());
  }

  @Test
  void mapsBadInputToTwoAndOtherFailuresToOneWithoutAStackTrace() {
    assertThat(execute("sub", "--plan", "p.json").code()).isEqualTo(CommandLines.EXIT_OK);
    Result bad = execute("sub", "--plan", "p.json", "--fail", "input");
    assertThat(bad.code()).isEqualTo(CommandLines.EXIT_BAD_INPUT);
    assertThat(bad.err()).isEqualTo("error: --fail is bad input" + System.lineSeparator());
    Result failed = execute("sub", "--plan", "p.json", "--fail", "state");
    assertThat(failed.code()).isEqualTo(CommandLines.EXIT_FAILURE);
    assertThat(failed.err()).isEqualTo("failed: it broke" + System.lineSeparator());
    assertThat(execute("sub", "--plan", "p.json", "--fail", "silent").err())
        .isEqualTo("failed: IllegalStateException" + System.lineSeparator());
  }

  @Test
  void stacktraceIsInheritedBySubcommands() {
    Result traced = execute("sub", "--plan", "p.json", "--fail", "state", "--stacktrace");
    assertThat(traced.code()).isEqualTo(CommandLines.EXIT_FAILURE);
    assertThat(traced.err())
        .contains("java.lang.IllegalStateException: it broke")
        .contains("\tat ")
        .endsWith("failed: it broke" + System.lineSeparator());
    assertThat(execute("--stacktrace", "sub", "--plan", "p.json", "--fail", "state").err())
        .contains("\tat ");
  }

  @Test
  void unparsableCommandLinesAreBadInputWithSuggestionsAndHelpHint() {
    Result missing = execute("sub");
    assertThat(missing.code()).isEqualTo(CommandLines.EXIT_BAD_INPUT);
    assertThat(missing.err())
        .contains("error: Missing required option: '--plan=FILE'")
        .contains("Try 'top sub --help' for more information.");
    Result typo = execute("sub", "--plan", "p.json", "--iteration", "3");
    assertThat(typo.code()).isEqualTo(CommandLines.EXIT_BAD_INPUT);
    assertThat(typo.err()).contains("Unknown option").contains("--iterations");
  }

  @Test
  void runOptionsHaveTheDocumentedDefaults() {
    Sub sub = new Sub();
    new CommandLine(sub).parseArgs("--plan", "p.json");
    assertThat(sub.run.plan()).isEqualTo(Path.of("p.json"));
    assertThat(sub.run.iterations()).isEqualTo(5);
    assertThat(sub.run.warmup()).isEqualTo(2);
    assertThat(sub.run.threads()).isEqualTo(1);
    assertThat(sub.run.seed()).isEqualTo(1L);
    assertThat(sub.run.learningRate()).isEqualTo(0.001);
    assertThat(sub.run.output()).isEqualTo(Path.of("run.json"));
  }

  @Command(name = "profile")
  static final class Profile implements Runnable {
    @Mixin ProfileOptions options;

    @Override
    public void run() {}
  }

  @Test
  void profileOptionsParseTheClockAndKeepTheSizesInOrder() {
    Profile p = new Profile();
    new CommandLine(p).parseArgs("--model", "gpt-tiny", "--microbatch-sizes", "4,1,4");
    assertThat(p.options.model()).isEqualTo("gpt-tiny");
    assertThat(p.options.sizes()).isEqualTo(List.of(4, 1, 4));
    assertThat(p.options.clock()).isEqualTo(ProfileOptions.Clock.CPU);
    assertThat(p.options.output()).isEqualTo(Path.of("profile.json"));
    assertThat(p.options.concurrentWorkers()).isEqualTo(1);
    new CommandLine(p).parseArgs("--model", "m", "--clock", " WALL ");
    assertThat(p.options.clock()).isEqualTo(ProfileOptions.Clock.WALL);
    new CommandLine(p).parseArgs("--model", "m", "--clock", "cycles");
    assertThatThrownBy(() -> p.options.clock())
        .isInstanceOf(BadInputException.class)
        .hasMessage("clock 'cycles' is unknown; use cpu or wall");
  }
}
