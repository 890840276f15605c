package dev.pipeplan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder for the {@code export} command until its issue lands. */
@Command(name = "export", description = "(not yet available)")
final class ExportCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("'export' is not implemented yet");
  }
}
