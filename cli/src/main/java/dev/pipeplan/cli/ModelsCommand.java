package dev.pipeplan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder for the {@code models} command until its issue lands. */
@Command(name = "models", description = "(not yet available)")
final class ModelsCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("'models' is not implemented yet");
  }
}
