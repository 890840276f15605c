package dev.pipeplan.executor.core.command;

import dev.pipeplan.models.BadInputException;
import java.io.PrintWriter;
import java.util.Objects;
import picocli.CommandLine;

/**
 * Exit codes and error printing for every pipeplan entry point: 0 ok, 1 failure, 2 bad input. A
 * {@link BadInputException} prints {@code error: <message>}, anything else thrown {@code failed:
 * <message>} (the exception's simple name when it has no message); a command line picocli cannot
 * parse prints {@code error: ...}, picocli's suggestions for a mistyped option or command and how
 * to get help. Stack traces only with {@code --stacktrace} ({@link StacktraceOption}).
 */
public final class CommandLines {
  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILURE = 1;
  public static final int EXIT_BAD_INPUT = 2;

  private CommandLines() {}

  /**
   * Points {@code cli}'s output at {@code out} and {@code err} and installs the shared handlers;
   * returns {@code cli}.
   */
  public static CommandLine configure(CommandLine cli, PrintWriter out, PrintWriter err) {
    Objects.requireNonNull(cli, "cli");
    cli.setOut(Objects.requireNonNull(out, "out"));
    cli.setErr(Objects.requireNonNull(err, "err"));
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (hasStacktraceFlag(parseResult)) {
            ex.printStackTrace(commandLine.getErr());
          }
          if (ex instanceof BadInputException) {
            commandLine.getErr().println("error: " + ex.getMessage());
            return EXIT_BAD_INPUT;
          }
          commandLine.getErr().println("failed: " + describe(ex));
          return EXIT_FAILURE;
        });
    cli.setParameterExceptionHandler(
        (ex, args) -> {
          PrintWriter e = ex.getCommandLine().getErr();
          e.println("error: " + ex.getMessage());
          if (ex instanceof CommandLine.UnmatchedArgumentException) {
            CommandLine.UnmatchedArgumentException.printSuggestions(
                (CommandLine.UnmatchedArgumentException) ex, e);
          }
          e.println(
              "Try '"
                  + ex.getCommandLine().getCommandSpec().qualifiedName()
                  + " --help' for more information.");
          return EXIT_BAD_INPUT;
        });
    return cli;
  }

  /** The message of {@code t}, or its simple class name when it has none. */
  public static String describe(Throwable t) {
    String message = t.getMessage();
    return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
  }

  private static boolean hasStacktraceFlag(CommandLine.ParseResult result) {
    for (CommandLine.ParseResult r = result; r != null; r = r.subcommand()) {
      if (r.hasMatchedOption(StacktraceOption.NAME)) {
        return true;
      }
    }
    return false;
  }
}
