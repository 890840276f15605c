package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pipeplan.models.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnedFolderTest {
  @TempDir Path dir;

  /** Writes an owned folder holding a.txt and an owned subfolder sub/ holding b.txt. */
  private Path writeNested(Path target) {
    try (OwnedFolder outer = OwnedFolder.open(target, "test output")) {
      AtomicFiles.writeString(outer.staging().resolve("a.txt"), "a");
      try (OwnedFolder inner = OwnedFolder.open(outer.staging().resolve("sub"), "test output")) {
        AtomicFiles.writeString(inner.staging().resolve("b.txt"), "b");
        inner.commit(List.of("b.txt"));
      }
      outer.commit(List.of("a.txt", "sub/"));
    }
    return target;
  }

  @Test
  void replacesAFolderWithAnOwnedSubfolder() throws Exception {
    Path out = writeNested(dir.resolve("out"));
    assertThat(Files.readAllLines(out.resolve(OwnedFolder.MANIFEST)))
        .containsExactly(
            OwnedFolder.MANIFEST_HEADER, OwnedFolder.KIND_PREFIX + "test output", "a.txt", "sub/");
    writeNested(out);
    assertThat(out.resolve("sub/b.txt")).hasContent("b");
  }

  /** -o report-link, a link to an earlier report: the report it names is replaced, not the link. */
  @Test
  void replacesTheFolderALinkNamesAndKeepsTheLink() throws Exception {
    Path real = writeNested(dir.resolve("real"));
    Files.writeString(real.resolve("a.txt"), "a");
    Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("real"));
    try (OwnedFolder f = OwnedFolder.open(link, "test output")) {
      AtomicFiles.writeString(f.staging().resolve("new.txt"), "new");
      f.commit(List.of("new.txt"));
    }
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(real.resolve("new.txt")).hasContent("new");
    assertThat(real.resolve("a.txt")).doesNotExist();
    try (var names = Files.list(dir)) {
      assertThat(names.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("real", "link");
    }
  }

  @Test
  void oneKindOfOutputDoesNotReplaceAnother() throws Exception {
    Path out = writeNested(dir.resolve("kinds"));
    assertThatThrownBy(() -> OwnedFolder.open(out, "report output"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("holds a test output")
        .hasMessageContaining("same kind");
    assertThat(out.resolve("a.txt")).exists();
    // a manifest from before the kind line is replaced by any kind, as it was
    Files.writeString(
        out.resolve(OwnedFolder.MANIFEST), OwnedFolder.MANIFEST_HEADER + "\na.txt\nsub/\n");
    try (OwnedFolder again = OwnedFolder.open(out, "report output")) {
      again.commit(List.of());
    }
    assertThat(Files.readAllLines(out.resolve(OwnedFolder.MANIFEST)))
        .containsExactly(OwnedFolder.MANIFEST_HEADER, OwnedFolder.KIND_PREFIX + "report output");
  }

  @Test
  void refusesAUsersFileInsideAnOwnedSubfolder() throws Exception {
    Path out = writeNested(dir.resolve("out"));
    Files.writeString(out.resolve("sub/mine.txt"), "mine");
    assertThatThrownBy(() -> OwnedFolder.open(out, "test output"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("mine.txt");
    assertThat(out.resolve("sub/mine.txt")).hasContent("mine");
  }

  @Test
  void refusesASubfolderListedAsAFile() throws Exception {
    Path out = writeNested(dir.resolve("out"));
    Files.writeString(
        out.resolve(OwnedFolder.MANIFEST), OwnedFolder.MANIFEST_HEADER + "\na.txt\nsub\n");
    assertThatThrownBy(() -> OwnedFolder.open(out, "test output"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("holds sub");
    assertThat(out.resolve("sub/b.txt")).hasContent("b");
  }

  @Test
  void refusesAnUnwritablePlaceWithTheReason() throws Exception {
    // the file writers' words: creating the folders said "the file system refused it"
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    assertThatThrownBy(() -> OwnedFolder.open(file.resolve("out").resolve("deeper"), "test output"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "test output "
                + file.resolve("out").resolve("deeper")
                + ": cannot write there, because "
                + file
                + " is a file, not a folder");
  }

  @Test
  void refusesAPseudoFileSystemAsTheFileWritersDo() {
    // /proc takes no new files: creating a folder there said "no such folder"
    assumeTrue(Files.isDirectory(Path.of("/proc/self")), "no /proc here");
    Path target = Path.of("/proc/pipeplan-owned-folder-test/out");
    assertThatThrownBy(() -> OwnedFolder.open(target, "test output"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(
            "test output "
                + target
                + ": cannot write in /proc (the file system takes no new files there)");
    assertThatThrownBy(() -> OutputPaths.checkFile("-o", target, "plan.json"))
        .hasMessage(
            "-o " + target + ": cannot write in /proc (the file system takes no new files there)");
  }
}
