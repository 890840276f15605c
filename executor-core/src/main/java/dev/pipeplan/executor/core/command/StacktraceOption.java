package dev.pipeplan.executor.core.command;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --stacktrace}, mixed into an entry point's top command and inherited by its subcommands:
 * {@link CommandLines}' handler prints an error's stack trace when it was given.
 */
public final class StacktraceOption {
  /** The option's name. */
  public static final String NAME = "--stacktrace";

  @Option(
      names = NAME,
      scope = CommandLine.ScopeType.INHERIT,
      description = "Print stack traces of errors.")
  boolean stacktrace;
}
