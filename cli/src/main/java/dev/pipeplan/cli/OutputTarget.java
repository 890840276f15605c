package dev.pipeplan.cli;

import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.OutputPaths;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An output a command will write, checked before the command does its work: a plan search that
 * takes seconds must not end in "cannot write". Remembers the first folder that did not exist, so
 * that the command can say it created it.
 */
record OutputTarget(String option, Path path, Optional<Path> missingFolder) {

  /** Checks {@code path} as a file the command will write; see {@link OutputPaths#checkFile}. */
  static OutputTarget file(String option, Path path, String exampleName) {
    return new OutputTarget(option, path, OutputPaths.checkFile(option, path, exampleName));
  }

  /** Checks {@code path} as a folder the command will fill; see {@link OutputPaths#checkFolder}. */
  static OutputTarget folder(String option, Path path) {
    return new OutputTarget(option, path, OutputPaths.checkFolder(option, path));
  }

  /**
   * Refuses this output when it is the file given as {@code inputOption} (a folder output: when it
   * holds it), before anything is written; see {@link OutputPaths#requireNotInput}.
   */
  OutputTarget notInput(String inputOption, Path input) {
    if (Files.isDirectory(path)) {
      OutputPaths.requireNotInsideFolder(option, path, inputOption, input);
    } else {
      OutputPaths.requireNotInput(option, path, inputOption, input);
    }
    return this;
  }

  /** As {@link #notInput}, for an option that takes a zoo name or a file: only a file counts. */
  OutputTarget notInputFile(String inputOption, String nameOrFile) {
    if (nameOrFile != null) {
      try {
        Path file = Path.of(nameOrFile);
        if (Files.isRegularFile(file)) {
          notInput(inputOption, file);
        }
      } catch (InvalidPathException e) {
        // a zoo name or a string no file can have: nothing to protect
      }
    }
    return this;
  }

  /**
   * As {@link #notInput}, for a {@code --model}: the model file, or the {@code config.json} of a
   * model directory; a zoo name has no file.
   */
  OutputTarget notModelInput(String inputOption, String model) {
    if (model != null) {
      ModelLoader.inputFile(model).ifPresent(file -> notInput(inputOption, file));
    }
    return this;
  }

  /**
   * As {@link #notInput}, for a {@code --cluster}: the cluster file, also as the {@code FILE} of
   * {@code FILE:NODESxPER_NODE}; a preset or shorthand has no file.
   */
  OutputTarget notClusterInput(String inputOption, String cluster) {
    if (cluster != null) {
      Clusters.inputFile(cluster).ifPresent(file -> notInput(inputOption, file));
    }
    return this;
  }

  /** Prints "created folder X" when writing the output made a folder that was not there before. */
  void announceCreated(PrintWriter out) {
    missingFolder.ifPresent(folder -> out.println("created folder " + folder));
  }
}
