package dev.pipeplan.models.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Profile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Reads and writes a {@link Profile} as JSON ("Profile file" in docs/formats.md); stable bytes,
 * keys sorted.
 */
public final class ProfileJson {
  private ProfileJson() {}

  public static String write(Profile profile) {
    return Json.write(Objects.requireNonNull(profile, "profile"));
  }

  public static void write(Path file, Profile profile) {
    AtomicFiles.writeString(file, write(profile));
  }

  public static Profile read(String json) {
    return read(json, "profile");
  }

  /** Parses profile JSON; {@code source} names it in messages ("profile p.json"). */
  static Profile read(String json, String source) {
    if (json.isBlank()) {
      // Jackson said "No content to map due to end-of-input"
      throw new BadInputException(source + " is empty. Maybe run 'pipeplan profile' again.");
    }
    try {
      return Json.json().readValue(json, Profile.class);
    } catch (JsonProcessingException e) {
      if (JsonErrors.isSyntax(e)
          || JsonErrors.isTrailing(e)
          || !(e instanceof JsonMappingException)) {
        throw new BadInputException(JsonErrors.syntax(source, e), e);
      }
      JsonMappingException m = (JsonMappingException) e;
      String path = JsonErrors.mappingPath(m);
      for (Throwable c = m.getCause(); c != null; c = c.getCause()) {
        if (c instanceof BadInputException || c instanceof IllegalArgumentException) {
          throw new BadInputException(
              source + ": " + (path.isEmpty() ? "" : "field '" + path + "': ") + c.getMessage(), e);
        }
      }
      throw new BadInputException(source + ": " + JsonErrors.binding(m), e);
    }
  }

  public static Profile read(Path file) {
    try {
      return read(Files.readString(file, StandardCharsets.UTF_8), "profile " + file);
    } catch (NoSuchFileException e) {
      throw new BadInputException(
          "profile " + file + " does not exist. Maybe run 'pipeplan profile' first.");
    } catch (IOException e) {
      throw new BadInputException("cannot read profile " + file + ": " + e.getMessage(), e);
    }
  }
}
