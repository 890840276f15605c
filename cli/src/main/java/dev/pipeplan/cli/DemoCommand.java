package dev.pipeplan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder for the {@code demo} command until its issue lands. */
@Command(name = "demo", description = "(not yet available)")
final class DemoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("'demo' is not implemented yet");
  }
}
