package dev.pipeplan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder for the {@code run} command until its issue lands. */
@Command(name = "run", description = "(not yet available)")
final class RunCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("'run' is not implemented yet");
  }
}
