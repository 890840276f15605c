package dev.pipeplan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder for the {@code clusters} command until its issue lands. */
@Command(name = "clusters", description = "(not yet available)")
final class ClustersCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UnsupportedOperationException("'clusters' is not implemented yet");
  }
}
