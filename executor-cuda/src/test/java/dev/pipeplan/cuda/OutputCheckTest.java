package dev.pipeplan.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pipeplan.models.io.ModelLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CUDA entry point refuses an output that is its own input, before any GPU is opened. */
class OutputCheckTest {
  @TempDir Path dir;

  @Test
  void runRefusesToWriteOverItsPlan() throws Exception {
    Path plan = dir.resolve("plan.json");
    Files.writeString(plan, "{\"not\": \"read\"}\n");
    String err =
        refused("run", "--plan", plan.toString(), "-o", dir.resolve("x/../plan.json").toString());
    assertThat(err).contains("is also the --plan input");
    assertThat(Files.readString(plan)).isEqualTo("{\"not\": \"read\"}\n");
  }

  @Test
  void profileRefusesToWriteOverItsModel() throws Exception {
    Path model = dir.resolve("model.json");
    ModelLoader.write(ModelLoader.load("gpt-tiny"), model);
    String before = Files.readString(model);
    String err = refused("profile", "--model", model.toString(), "-o", model.toString());
    assertThat(err).contains("-o " + model + " is also the --model input");
    assertThat(Files.readString(model)).isEqualTo(before);
  }

  private static String refused(String... args) {
    StringWriter err = new StringWriter();
    int code =
        CudaMain.execute(args, new PrintWriter(new StringWriter()), new PrintWriter(err, true));
    assertThat(code).as(err.toString()).isEqualTo(2);
    assertThat(err.toString()).startsWith("error: ").doesNotContain("Exception");
    return err.toString();
  }
}
