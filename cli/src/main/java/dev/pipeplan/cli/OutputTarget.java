package dev.pipeplan.cli;

import dev.pipeplan.models.io.OutputPaths;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An output a command will write, checked before the command does its work: a plan search that
 * takes seconds must not end in "cannot write". Remembers the first folder that did not exist, so
 * that the command can say it created it.
 */
record OutputTarget(Path path, Optional<Path> missingFolder) {

  /** Checks {@code path} as a file the command will write; see {@link OutputPaths#checkFile}. */
  static OutputTarget file(String option, Path path, String exampleName) {
    return new OutputTarget(path, OutputPaths.checkFile(option, path, exampleName));
  }

  /** Checks {@code path} as a folder the command will fill; see {@link OutputPaths#checkFolder}. */
  static OutputTarget folder(String option, Path path) {
    return new OutputTarget(path, OutputPaths.checkFolder(option, path));
  }

  /** Prints "created folder X" when writing the output made a folder that was not there before. */
  void announceCreated(PrintWriter out) {
    missingFolder.ifPresent(folder -> out.println("created folder " + folder));
  }
}
