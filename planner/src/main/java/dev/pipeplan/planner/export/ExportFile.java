package dev.pipeplan.planner.export;

import dev.pipeplan.models.Checks;
import java.util.Objects;

/**
 * One file an export produces.
 *
 * @param fileName the file's name, no directories ("schedule.csv")
 * @param content the whole text, "\n" line ends
 */
public record ExportFile(String fileName, String content) {
  public ExportFile {
    Checks.nonBlank("fileName", fileName);
    if (fileName.contains("/") || fileName.contains("\\")) {
      throw new IllegalArgumentException("fileName must not hold directories: " + fileName);
    }
    Objects.requireNonNull(content, "content");
  }
}
