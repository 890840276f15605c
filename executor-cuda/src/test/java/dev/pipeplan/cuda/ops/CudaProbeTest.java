package dev.pipeplan.cuda.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.cuda.CudaMain;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe and the {@code probe} command, which the GPU session runs first: they explain, they
 * never throw.
 */
class CudaProbeTest {
  @Test
  void namesTheLibrariesThatNoFolderHolds(@TempDir Path dir) throws IOException {
    Files.createFile(dir.resolve("libcudart.so.13"));
    assertThat(CudaProbe.missingLibraries(List.of(dir)))
        .containsExactly("libcublas.so.13", "libcublasLt.so.13", "libcuda.so.1");
  }

  @Test
  void probeCommandPlansGpuChecksModelAndExitsOneWithoutAGpu(@TempDir Path dir) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        CudaMain.execute(
            new String[] {"probe", "-o", dir.toString(), "--kinds", "1f1b,interleaved"},
            new PrintWriter(out, true),
            new PrintWriter(err, true));
    assertThat(out.toString())
        .contains("cuda: ")
        .contains("planning 1f1b: partition")
        .contains("planning interleaved: partition");
    assertThat(Files.exists(dir.resolve("probe-plan-interleaved.json"))).isTrue();
    assertThat(err.toString()).doesNotContain("Exception");
    assertThat(code).isEqualTo(CudaProbe.probe().available() ? 0 : 1);
  }
}
