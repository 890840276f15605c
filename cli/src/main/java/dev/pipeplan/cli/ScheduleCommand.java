package dev.pipeplan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder for the {@code schedule} command until its issue lands. */
@Command(name = "schedule", description = "(not yet available)")
final class ScheduleCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("'schedule' is not implemented yet");
  }
}
