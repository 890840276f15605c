package dev.pipeplan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder for the {@code report} command until its issue lands. */
@Command(name = "report", description = "(not yet available)")
final class ReportCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("'report' is not implemented yet");
  }
}
