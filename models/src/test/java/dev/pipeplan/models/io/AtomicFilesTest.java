package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void replacesAnExistingFileWhole() throws Exception {
    Path file = dir.resolve("plan.json");
    Files.writeString(file, "old content, longer than the new one");
    AtomicFiles.writeString(file, "new");
    assertThat(file).hasContent("new");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  /** A move onto the link would replace the link with a file and leave its target unchanged. */
  @Test
  void writesThroughASymbolicLinkAndKeepsTheLink() throws Exception {
    Path real = Files.createDirectories(dir.resolve("real")).resolve("plan.json");
    Files.writeString(real, "old");
    Path link = Files.createSymbolicLink(dir.resolve("link.json"), Path.of("real/plan.json"));
    AtomicFiles.writeString(link, "new");
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(real).hasContent("new");
  }

  @Test
  void writesThroughADanglingSymbolicLink() throws Exception {
    Path link = Files.createSymbolicLink(dir.resolve("link.json"), Path.of("later.json"));
    AtomicFiles.writeString(link, "new");
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(dir.resolve("later.json")).hasContent("new");
  }

  /**
   * -o /dev/null or -o /dev/stdout: the node is written into, not replaced by a regular file (a
   * temporary file moved onto /dev/null, run as root, turned it into a file).
   */
  @Test
  void writesIntoAPipeWithoutReplacingIt() throws Exception {
    Path fifo = dir.resolve("pipe");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assumeTrue(mkfifo.waitFor() == 0, "mkfifo is available");
    CompletableFuture<String> read =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(Files.readAllBytes(fifo), StandardCharsets.UTF_8);
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> {
          AtomicFiles.writeString(fifo, "through the pipe");
          assertThat(read.get()).isEqualTo("through the pipe");
        });
    assertThat(Files.isRegularFile(fifo)).isFalse();
    assertThat(Files.exists(fifo)).isTrue();
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(fifo);
    }
  }
}
