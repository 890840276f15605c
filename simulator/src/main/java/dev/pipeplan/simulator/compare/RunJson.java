package dev.pipeplan.simulator.compare;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Reads and writes a {@link MeasuredRun} as JSON ("run file", see docs/formats.md). The same run gives the same
 * bytes: keys sorted, lists in their record order.
 */
public final class RunJson {
  private RunJson() {}

  public static String write(MeasuredRun run) {
    return Json.write(Objects.requireNonNull(run, "run"));
  }

  public static void write(Path file, MeasuredRun run) {
    AtomicFiles.writeString(file, write(run));
  }

  public static MeasuredRun read(String json) {
    try {
      return Json.json().readValue(json, MeasuredRun.class);
    } catch (JsonProcessingException e) {
      throw new BadInputException("run file is not valid: " + e.getOriginalMessage(), e);
    }
  }

  public static MeasuredRun read(Path file) {
    try {
      return read(Files.readString(file, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      throw new BadInputException("run file " + file + " does not exist");
    } catch (IOException e) {
      throw new BadInputException("cannot read run file " + file + ": " + e.getMessage(), e);
    }
  }
}
