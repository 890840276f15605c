package dev.pipeplan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder for the {@code simulate} command until its issue lands. */
@Command(name = "simulate", description = "(not yet available)")
final class SimulateCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("'simulate' is not implemented yet");
  }
}
