package dev.pipeplan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder for the {@code profile} command until its issue lands. */
@Command(name = "profile", description = "(not yet available)")
final class ProfileCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("'profile' is not implemented yet");
  }
}
