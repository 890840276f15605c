package dev.pipeplan.models.io;

import dev.pipeplan.models.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Puts a whole folder in place at once: the caller fills a temporary sibling folder, then {@link
 * #commit} writes the manifest, moves an existing folder aside, moves the new one in, and deletes
 * the old one. A failure before the commit deletes the temporary folder and leaves the target as it
 * was; readers never see a half-filled target.
 *
 * <p>pipeplan replaces only what it wrote itself: every folder it writes whole (a report, a
 * torch-script export, the demo's output) holds a manifest ({@value #MANIFEST}) whose first line is
 * {@value #MANIFEST_HEADER} and whose other lines name the files pipeplan wrote, one plain file
 * name a line. An existing target is replaced only when it is empty, or when it holds a valid
 * manifest and nothing but regular files the manifest names. A manifest entry that is not a plain
 * file name ({@code ../x}, {@code /etc/x}, {@code a/b}) makes the manifest invalid, so a
 * hand-edited manifest cannot point pipeplan at anything outside the folder. The check runs again
 * on the folder after it has been moved aside, and a file that appeared in between puts it back.
 */
public final class OwnedFolder implements AutoCloseable {
  /** The manifest: the list of files pipeplan wrote into the folder. */
  public static final String MANIFEST = ".pipeplan-files";

  /** The manifest's first line. */
  public static final String MANIFEST_HEADER =
      "# pipeplan: the files pipeplan wrote here; it replaces this folder only if it holds nothing"
          + " else";

  /**
   * The manifest's optional second line names what pipeplan wrote there ("# kind: report output"),
   * so that one kind of output never replaces another (a report over a torch-script export).
   * Manifests written before it have no such line and are replaced by any kind, as before.
   */
  public static final String KIND_PREFIX = "# kind: ";

  private final String what;
  private final Path target;
  private final Path shownTarget;
  private final Path staging;
  private boolean committed;

  private OwnedFolder(String what, Path target, Path shownTarget, Path staging) {
    this.what = what;
    this.target = target;
    this.shownTarget = shownTarget;
    this.staging = staging;
  }

  /**
   * Checks that {@code target} may be (re)placed and opens a staging folder beside it.
   *
   * @param what what the folder is, for messages ("report output", "torch-script export")
   */
  public static OwnedFolder open(Path target, String what) {
    if (target.toString().isBlank()) {
      throw new BadInputException(what + " -o is empty; give a folder. Maybe use -o out/");
    }
    Path absolute = target.toAbsolutePath().normalize();
    // where a message points: the path as given, or the folder a link names
    Path shown = target;
    if (Files.isSymbolicLink(absolute)) {
      // the new folder replaces the one the link names; moved onto the link, it replaced the link
      absolute = AtomicFiles.linkTarget(target, absolute);
      shown = absolute;
    }
    if (absolute.equals(Path.of("").toAbsolutePath().normalize())) {
      // the folder is replaced by moving a new one into place: the shell would sit in a deleted one
      throw new BadInputException(
          what
              + " "
              + target
              + " is the current folder, which pipeplan would replace under your shell. Maybe use"
              + " -o out/");
    }
    if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
      throw new BadInputException(
          what + " " + target + " is a file, not a folder. Maybe use -o " + target + "-out/");
    }
    if (Files.isDirectory(absolute)) {
      checkReplaceable(absolute, target, what);
    } else {
      // The file writers' check: the nearest existing folder on the way must take new files, and
      // the message says which and why ("cannot write in /proc (the file system takes no new files
      // there)"), where creating the folders would only say "no such folder".
      OutputPaths.checkFolder(what, shown);
    }
    Path parent = absolute.getParent();
    try {
      Files.createDirectories(parent);
      Path staging = Files.createTempDirectory(parent, "." + absolute.getFileName() + ".tmp-");
      return new OwnedFolder(what, absolute, target, staging);
    } catch (IOException e) {
      if (OutputPaths.isRefusedPlace(e)) {
        throw new BadInputException(
            what
                + " "
                + target
                + ": cannot create a folder beside it ("
                + OutputPaths.reason(e)
                + ")");
      }
      throw new UncheckedIOException(
          "cannot create a folder beside " + target + ": " + OutputPaths.reason(e), e);
    }
  }

  /**
   * Refuses a folder that holds anything pipeplan did not write: a folder that is not empty and has
   * no valid manifest, or one that holds a file (or folder, or link) its manifest does not name.
   *
   * @param shown the path as the user gave it, for messages
   * @param what what the folder is, for messages
   */
  public static void checkReplaceable(Path dir, Path shown, String what) {
    checkReplaceable(dir, shown, what, true);
  }

  private static void checkReplaceable(Path dir, Path shown, String what, boolean sameKind) {
    List<String> entries = sortedNames(dir);
    if (entries.isEmpty()) {
      return;
    }
    if (!entries.contains(MANIFEST)) {
      throw new BadInputException(
          what
              + " "
              + shown
              + " is a folder that holds "
              + entries.get(0)
              + " and is not pipeplan's (it has no "
              + MANIFEST
              + " manifest); pipeplan replaces only an empty folder or one it wrote itself."
              + " Maybe use a new folder.");
    }
    Set<String> listed = new TreeSet<>();
    String kind = readManifest(dir.resolve(MANIFEST), shown, what, listed);
    if (sameKind && kind != null && !kind.equals(what)) {
      throw new BadInputException(
          what
              + " "
              + shown
              + " holds a "
              + kind
              + " pipeplan wrote; pipeplan replaces a folder only with the same kind of output."
              + " Maybe use a new folder, or delete that one first.");
    }
    for (String name : entries) {
      if (name.equals(MANIFEST)) {
        continue;
      }
      boolean ours =
          listed.contains(name)
              && Files.isRegularFile(dir.resolve(name), LinkOption.NOFOLLOW_LINKS);
      if (!ours
          && listed.contains(name + "/")
          && Files.isDirectory(dir.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
        // a folder pipeplan wrote whole inside this one (the demo's report/): its own manifest
        // must vouch for everything in it
        checkReplaceable(dir.resolve(name), shown.resolve(name), what, false);
        ours = true;
      }
      if (!ours) {
        throw new BadInputException(
            what
                + " "
                + shown
                + " holds "
                + name
                + ", which pipeplan did not write (it is not a file listed in "
                + MANIFEST
                + "); pipeplan replaces only its own files. Maybe use a new folder, or move "
                + name
                + " away.");
      }
    }
  }

  /**
   * Adds the file names a manifest lists to {@code names} and returns its kind line's kind (null
   * when it has none); an invalid manifest is bad input.
   */
  private static String readManifest(Path manifest, Path shown, String what, Set<String> names) {
    List<String> lines;
    try {
      if (!Files.isRegularFile(manifest, LinkOption.NOFOLLOW_LINKS)) {
        throw new BadInputException(
            what
                + " "
                + shown
                + " has a "
                + MANIFEST
                + " that is not a regular file. Maybe use a new folder.");
      }
      lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BadInputException(
          "cannot read "
              + shown.resolve(MANIFEST)
              + ": "
              + e.getMessage()
              + ". Maybe use a new folder.",
          e);
    }
    if (lines.isEmpty() || !lines.get(0).equals(MANIFEST_HEADER)) {
      throw new BadInputException(
          what
              + " "
              + shown
              + " has a "
              + MANIFEST
              + " that pipeplan did not write (its first line is not pipeplan's header)."
              + " Maybe use a new folder.");
    }
    String kind = null;
    for (int i = 1; i < lines.size(); i++) {
      String name = lines.get(i);
      if (i == 1 && name.startsWith(KIND_PREFIX)) {
        kind = name.substring(KIND_PREFIX.length());
        continue;
      }
      if (!isPlainFileName(name) && !isOwnedSubfolder(name)) {
        throw new BadInputException(
            what
                + " "
                + shown
                + " has a "
                + MANIFEST
                + " that lists '"
                + name
                + "' (line "
                + (i + 1)
                + "), which is not a file name in that folder; pipeplan replaces only files it"
                + " wrote there. Maybe use a new folder.");
      }
      names.add(name);
    }
    return kind;
  }

  /** A name of a file directly in the folder: no separators, not {@code .} or {@code ..}. */
  public static boolean isPlainFileName(String name) {
    return !name.isEmpty()
        && !name.equals(".")
        && !name.equals("..")
        && name.indexOf('/') < 0
        && name.indexOf('\\') < 0
        && name.indexOf(':') < 0
        && name.indexOf('\0') < 0
        && name.equals(name.strip());
  }

  /**
   * A manifest entry for a folder pipeplan wrote whole, with a manifest of its own: a plain name
   * and a slash ({@code report/}).
   */
  static boolean isOwnedSubfolder(String entry) {
    return entry.endsWith("/") && isPlainFileName(entry.substring(0, entry.length() - 1));
  }

  /**
   * The manifest's text for these entries: plain file names, and {@code name/} for a folder that
   * holds a manifest of its own.
   */
  public static String manifest(String kind, List<String> files) {
    StringBuilder b = new StringBuilder(MANIFEST_HEADER).append('\n');
    if (kind.isBlank() || kind.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("not a kind: " + kind);
    }
    b.append(KIND_PREFIX).append(kind).append('\n');
    for (String f : files) {
      if (!(isPlainFileName(f) || isOwnedSubfolder(f)) || f.equals(MANIFEST)) {
        throw new IllegalArgumentException("not a plain file name: " + f);
      }
      b.append(f).append('\n');
    }
    return b.toString();
  }

  /** Where the caller writes the folder's files. */
  public Path staging() {
    return staging;
  }

  /**
   * Writes the manifest of {@code files} (the names the caller wrote into the staging folder) and
   * moves the staged folder into place, replacing pipeplan's earlier folder there.
   */
  public void commit(List<String> files) {
    Path old = null;
    try {
      AtomicFiles.writeString(staging.resolve(MANIFEST), manifest(what, files));
      shareable(staging);
      if (Files.exists(target)) {
        old = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".old-");
        Files.delete(old);
        move(target, old);
        try {
          // Whatever changed in the folder since open() must not be deleted with it.
          checkReplaceable(old, shownTarget, what);
        } catch (RuntimeException e) {
          move(old, target);
          old = null;
          throw e;
        }
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
          "cannot move the " + what + " into " + target + ": " + OutputPaths.reason(e), e);
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
   * Temporary folders and files are created owner-only; the folder is for sharing, so give it the
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

  private static List<String> sortedNames(Path dir) {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        names.add(e.getFileName().toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    Collections.sort(names);
    return names;
  }

  public static void deleteTree(Path root) {
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
