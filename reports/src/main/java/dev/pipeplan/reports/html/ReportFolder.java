package dev.pipeplan.reports.html;

import dev.pipeplan.models.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Puts a whole folder in place at once: the caller fills a temporary sibling folder, then {@link
 * #commit} moves an existing folder aside, moves the new one in, and deletes the old one. A failure
 * before the commit deletes the temporary folder and leaves the target as it was; readers never see
 * a half-filled target.
 */
final class ReportFolder implements AutoCloseable {
  /** The file whose presence marks an existing folder as a report we may replace. */
  static final String MARKER = "index.html";

  private final Path target;
  private final Path staging;
  private boolean committed;

  private ReportFolder(Path target, Path staging) {
    this.target = target;
    this.staging = staging;
  }

  /** Checks that {@code target} may be (re)placed and opens a staging folder beside it. */
  static ReportFolder open(Path target) {
    Path absolute = target.toAbsolutePath().normalize();
    if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
      throw new BadInputException(
          "report output "
              + target
              + " is a file, not a folder. Maybe use -o "
              + target
              + "-report/");
    }
    if (Files.isDirectory(absolute)
        && !isEmpty(absolute)
        && !Files.exists(absolute.resolve(MARKER))) {
      throw new BadInputException(
          "report output "
              + target
              + " is a folder that holds other files and no "
              + MARKER
              + "; pipeplan replaces only an empty folder or an earlier report. Maybe use a new folder.");
    }
    Path parent = absolute.getParent();
    try {
      Files.createDirectories(parent);
      Path staging = Files.createTempDirectory(parent, "." + absolute.getFileName() + ".tmp-");
      return new ReportFolder(absolute, staging);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot create a folder beside " + target + ": " + e.getMessage(), e);
    }
  }

  /** Where the caller writes the report's files. */
  Path staging() {
    return staging;
  }

  /** Moves the staged folder into place, replacing an earlier report there. */
  void commit() {
    Path old = null;
    try {
      shareable(staging);
      if (Files.exists(target)) {
        old = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".old-");
        Files.delete(old);
        move(target, old);
      }
      try {
        move(staging, target);
      } catch (IOException e) {
        if (old != null) {
          move(old, target);
          old = null;
        }
        throw e;
      }
      committed = true;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot move the report into " + target + ": " + e.getMessage(), e);
    } finally {
      if (old != null) {
        deleteTree(old);
      }
    }
  }

  /** Deletes the staging folder unless it was committed. */
  @Override
  public void close() {
    if (!committed) {
      deleteTree(staging);
    }
  }

  /**
   * Temporary folders and files are created owner-only; a report is for sharing, so give it the
   * usual rwxr-xr-x / rw-r--r-- where the file system has POSIX permissions.
   */
  private static void shareable(Path root) throws IOException {
    if (!Files.getFileStore(root).supportsFileAttributeView(PosixFileAttributeView.class)) {
      return;
    }
    Set<PosixFilePermission> dirs = PosixFilePermissions.fromString("rwxr-xr-x");
    Set<PosixFilePermission> files = PosixFilePermissions.fromString("rw-r--r--");
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Files.setPosixFilePermissions(p, Files.isDirectory(p) ? dirs : files);
      }
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  private static boolean isEmpty(Path dir) {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      return !entries.iterator().hasNext();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              if (e != null) {
                throw e;
              }
              Files.delete(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root + ": " + e.getMessage(), e);
    }
  }
}
