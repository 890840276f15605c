/**
 * The {@code pipeplan} command (picocli): one class per subcommand, and {@link
 * dev.pipeplan.cli.Main}, which maps bad input to exit code 2 and other failures to exit code 1,
 * printing a stack trace only with --stacktrace.
 */
package dev.pipeplan.cli;
