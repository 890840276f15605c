package dev.pipeplan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder for the {@code plan} command until its issue lands. */
@Command(name = "plan", description = "(not yet available)")
final class PlanCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("'plan' is not implemented yet");
  }
}
