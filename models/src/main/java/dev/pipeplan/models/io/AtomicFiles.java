package dev.pipeplan.models.io;

import dev.pipeplan.models.BadInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes a file through a temporary sibling and a move, so readers see either the old file or the
 * whole new one.
 */
public final class AtomicFiles {
  private static final Set<PosixFilePermission> READABLE =
      PosixFilePermissions.fromString("rw-r--r--");

  /** Links followed before a chain is taken for a loop, as Linux's own limit. */
  private static final int MAX_LINK_HOPS = 40;

  private AtomicFiles() {}

  /** Temporary files are created owner-only; the file put in place gets the usual rw-r--r--. */
  private static void makeReadable(Path file) throws IOException {
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(file, READABLE);
    }
  }

  /** Something that writes a file's whole content to a stream. */
  @FunctionalInterface
  public interface Writer {
    void writeTo(OutputStream out) throws IOException;
  }

  public static void writeString(Path target, String content) {
    write(target, out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
  }

  public static void writeBytes(Path target, byte[] content) {
    write(target, out -> out.write(content));
  }

  public static void write(Path target, Writer writer) {
    Path absolute = target.toAbsolutePath();
    if (Files.isDirectory(absolute)) {
      throw new BadInputException("cannot write " + target + ": it is a folder; give a file name");
    }
    if (Files.exists(absolute) && !Files.isRegularFile(absolute)) {
      // a device, pipe or socket (-o /dev/null, -o /dev/stdout): a move would replace the node
      // itself with a file, and there is no old content a reader could see half-replaced
      writeInto(target, absolute, writer);
      return;
    }
    if (Files.isSymbolicLink(absolute)) {
      // the move replaces the file the link names, not the link (as a shell's '>' does)
      absolute = linkTarget(target, absolute);
    }
    Path dir = absolute.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        writer.writeTo(out);
      }
      makeReadable(tmp);
      try {
        Files.move(
            tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      if (OutputPaths.isRefusedPlace(e)) {
        throw new BadInputException("cannot write " + target + ": " + OutputPaths.reason(e));
      }
      throw new UncheckedIOException("cannot write " + target + ": " + OutputPaths.reason(e), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the original failure is the one worth reporting
        }
      }
    }
  }

  /** Writes straight into an existing device, pipe or socket. */
  private static void writeInto(Path target, Path absolute, Writer writer) {
    try (OutputStream out = Files.newOutputStream(absolute, StandardOpenOption.WRITE)) {
      writer.writeTo(out);
    } catch (IOException e) {
      if (OutputPaths.isRefusedPlace(e)) {
        throw new BadInputException("cannot write " + target + ": " + OutputPaths.reason(e));
      }
      throw new UncheckedIOException("cannot write " + target + ": " + OutputPaths.reason(e), e);
    }
  }

  /** The path a chain of symbolic links ends at, whether or not a file is there yet. */
  static Path linkTarget(Path target, Path link) {
    Path p = link;
    try {
      for (int hops = 0; Files.isSymbolicLink(p); hops++) {
        if (hops == MAX_LINK_HOPS) {
          throw new BadInputException(
              "cannot write " + target + ": more than " + MAX_LINK_HOPS + " symbolic links");
        }
        p = p.getParent().resolve(Files.readSymbolicLink(p));
      }
      return p.getParent().toRealPath().resolve(p.getFileName());
    } catch (IOException e) {
      // a folder on the link's way is missing: creating it is the write's job
      return p;
    }
  }
}
