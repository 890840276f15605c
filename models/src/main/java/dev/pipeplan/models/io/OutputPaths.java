package dev.pipeplan.models.io;

import dev.pipeplan.models.BadInputException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Checks an output path before a command works toward it, and turns the operating system's refusal
 * into bad input that names the path and the reason (not the name of a temporary file).
 */
public final class OutputPaths {
  private OutputPaths() {}

  /**
   * Checks that {@code file} can be written as a file: it is not a folder, and its nearest existing
   * ancestor is a folder this process may write in. {@code exampleName} is the file name the hint
   * suggests inside a folder given by mistake ("plan.json").
   *
   * @return the first missing folder on the way to the file (which writing it will create), if any
   * @throws BadInputException naming the option, the path and the reason
   */
  public static Optional<Path> checkFile(String option, Path file, String exampleName) {
    if (file.toString().isBlank()) {
      throw new BadInputException(
          option + " is empty; give a file name. Maybe use " + option + " " + exampleName);
    }
    Path absolute = file.toAbsolutePath().normalize();
    if (Files.isDirectory(absolute)) {
      throw new BadInputException(
          option
              + " "
              + file
              + " is a folder; give a file name. Maybe use "
              + option
              + " "
              + file.resolve(exampleName));
    }
    if (Files.exists(absolute) && !Files.isRegularFile(absolute)) {
      // a device or pipe (-o /dev/null): written into where it is, nothing created beside it
      if (!Files.isWritable(absolute)) {
        throw new BadInputException(option + " " + file + ": cannot write it (permission denied)");
      }
      return Optional.empty();
    }
    if (Files.isRegularFile(absolute) && !Files.isWritable(absolute)) {
      // writing goes through a temporary file and a move, which would replace it regardless
      throw new BadInputException(
          option + " " + file + " is read-only; make it writable or give another " + option);
    }
    return checkParents(option, file, absolute.getParent());
  }

  /**
   * Checks that {@code folder} can be made or filled: it is not a file, and its nearest existing
   * ancestor is a folder this process may write in.
   *
   * @return the first missing folder ({@code folder} itself or an ancestor), if any
   */
  public static Optional<Path> checkFolder(String option, Path folder) {
    if (folder.toString().isBlank()) {
      throw new BadInputException(
          option + " is empty; give a folder. Maybe use " + option + " out/");
    }
    Path absolute = folder.toAbsolutePath().normalize();
    if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
      throw new BadInputException(
          option
              + " "
              + folder
              + " is a file, not a folder. Maybe use "
              + option
              + " "
              + folder
              + "-out/");
    }
    if (Files.isDirectory(absolute)) {
      requireWritable(option, folder, absolute);
      return Optional.empty();
    }
    return checkParents(option, folder, absolute);
  }

  /**
   * Refuses an output file that is one of the command's inputs ({@code -o run.json} beside {@code
   * --run run.json}): writing it would replace the input. A missing input is left to the reader.
   *
   * @throws BadInputException naming both options and the path
   */
  public static void requireNotInput(
      String outputOption, Path output, String inputOption, Path input) {
    if (output != null && input != null && samePlace(output, input)) {
      throw new BadInputException(
          outputOption
              + " "
              + output
              + " is also the "
              + inputOption
              + " input; writing it would replace the input. Give another "
              + outputOption
              + " path");
    }
  }

  /**
   * Refuses two outputs of one command on the same file: the second written would replace the
   * first.
   *
   * @throws BadInputException naming both options and the path
   */
  public static void requireDistinctOutputs(
      String firstOption, Path first, String secondOption, Path second) {
    if (first != null && second != null && samePlace(first, second)) {
      throw new BadInputException(
          secondOption
              + " "
              + second
              + " is also the "
              + firstOption
              + " output; one would replace the other. Give them different paths");
    }
  }

  /**
   * Refuses an output folder that holds one of the command's inputs, for commands that replace the
   * folder whole.
   */
  public static void requireNotInsideFolder(
      String outputOption, Path folder, String inputOption, Path input) {
    if (folder == null || input == null) {
      return;
    }
    Path in = real(input);
    Path out = real(folder);
    if (in.startsWith(out)) {
      throw new BadInputException(
          outputOption
              + " "
              + folder
              + " holds the "
              + inputOption
              + " input "
              + input
              + "; the folder is replaced whole, which would delete the input. Give another "
              + outputOption
              + " folder");
    }
  }

  private static boolean samePlace(Path a, Path b) {
    try {
      if (Files.exists(a) && Files.exists(b)) {
        return Files.isSameFile(a, b);
      }
    } catch (IOException e) {
      // fall through to the names: a path the reader cannot resolve is refused there
    }
    return real(a).equals(real(b));
  }

  /** The path with symbolic links resolved where it exists, absolute and normalised otherwise. */
  private static Path real(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  private static Optional<Path> checkParents(String option, Path given, Path folder) {
    Path missing = null;
    Path p = folder;
    while (p != null && !Files.exists(p)) {
      missing = p;
      p = p.getParent();
    }
    if (p == null) {
      throw new BadInputException(option + " " + given + ": no folder on its path exists");
    }
    if (!Files.isDirectory(p)) {
      throw new BadInputException(
          option + " " + given + ": cannot write there, because " + p + " is a file, not a folder");
    }
    requireWritable(option, given, p);
    return Optional.ofNullable(missing);
  }

  /**
   * Creates and deletes a hidden probe file: the only check that sees what the write will see
   * (permissions, a read-only mount, a pseudo file system such as /proc, root's exemptions).
   */
  private static void requireWritable(String option, Path given, Path existingFolder) {
    try {
      Path probe = Files.createTempFile(existingFolder, ".pipeplan-probe-", ".tmp");
      Files.delete(probe);
    } catch (IOException e) {
      String why =
          e instanceof NoSuchFileException ? "the file system takes no new files there" : reason(e);
      throw new BadInputException(
          option + " " + given + ": cannot write in " + existingFolder + " (" + why + ")");
    }
  }

  /**
   * The operating system's reason for a failed write, without the temporary file's name:
   * "permission denied", "read-only file system", "not a folder"...
   */
  public static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such folder";
    }
    if (e instanceof NotDirectoryException) {
      return "a part of the path is a file, not a folder";
    }
    if (e instanceof FileSystemException) {
      String r = ((FileSystemException) e).getReason();
      if (r != null && !r.isBlank()) {
        return r.substring(0, 1).toLowerCase(java.util.Locale.ROOT) + r.substring(1);
      }
      return "the file system refused it";
    }
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /**
   * Whether {@code e} is the file system refusing a place (bad input), as opposed to a failure
   * while writing (disk full, I/O error).
   */
  public static boolean isRefusedPlace(IOException e) {
    if (e instanceof AccessDeniedException
        || e instanceof NoSuchFileException
        || e instanceof NotDirectoryException
        || e instanceof java.nio.file.FileAlreadyExistsException) {
      return true;
    }
    if (e instanceof FileSystemException) {
      String r = ((FileSystemException) e).getReason();
      return r != null
          && (r.contains("Read-only")
              || r.contains("Is a directory")
              || r.contains("Not a directory")
              || r.contains("Permission denied")
              || r.contains("Operation not permitted"));
    }
    return false;
  }
}
