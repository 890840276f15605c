package dev.pipeplan.models.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pipeplan.models.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A node of a JSON or YAML input file that knows where it is (file and JSON path), so that every
 * complaint about a value names the file, the field and the value: {@code "m.json:
 * layers[3].forwardMs must be >= 0, got -2"}.
 */
public final class InputNode {
  private final String file;
  private final String path;
  private final JsonNode node;

  private InputNode(String file, String path, JsonNode node) {
    this.file = file;
    this.path = path;
    this.node = node;
  }

  /** Reads a file as YAML when its name ends in .yaml or .yml, as JSON otherwise. */
  public static InputNode read(Path file) {
    String text = readText(file);
    return parse(file.toString(), text, isYaml(file));
  }

  /** Parses text; {@code source} names it in messages. */
  public static InputNode parse(String source, String text, boolean yaml) {
    ObjectMapper mapper = yaml ? Json.yaml() : Json.json();
    JsonNode root;
    try {
      root = mapper.readTree(text);
    } catch (JsonProcessingException e) {
      throw new BadInputException(yaml ? yamlError(source, e) : JsonErrors.syntax(source, e), e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new BadInputException(source + ": the file is empty");
    }
    return new InputNode(source, "", root);
  }

  private static String yamlError(String source, JsonProcessingException e) {
    JsonLocation at = e.getLocation();
    String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    if (JsonErrors.isTrailing(e)) {
      return source
          + ": malformed YAML"
          + where
          + ": a second document after the first; a file holds one. Maybe delete the '---' and"
          + " what follows it";
    }
    return source + ": malformed YAML" + where + ": " + JsonErrors.clean(e.getOriginalMessage());
  }

  /** The whole text of a file, with a clear message when it is missing or unreadable. */
  public static String readText(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": no such file");
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  public static boolean isYaml(Path file) {
    String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".yaml") || n.endsWith(".yml");
  }

  public String file() {
    return file;
  }

  /** The JSON path of this node ("layers[3]"), empty for the root. */
  public String path() {
    return path;
  }

  public JsonNode json() {
    return node;
  }

  public boolean isObject() {
    return node.isObject();
  }

  public boolean has(String field) {
    JsonNode child = node.get(field);
    return child != null && !child.isNull();
  }

  /** The field names of an object node, in file order. */
  public List<String> fieldNames() {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }

  /** A BadInputException naming this file and the field below this node. */
  public BadInputException error(String field, String problem) {
    return new BadInputException(file + ": " + at(field) + " " + problem);
  }

  /** A BadInputException about this node itself. */
  public BadInputException error(String problem) {
    return new BadInputException(
        file + ": " + (path.isEmpty() ? "the top level" : path) + " " + problem);
  }

  public Optional<InputNode> child(String field) {
    JsonNode child = node.get(field);
    if (child == null || child.isNull()) {
      return Optional.empty();
    }
    return Optional.of(new InputNode(file, at(field), child));
  }

  public InputNode object(String field) {
    InputNode c = child(field).orElseThrow(() -> error(field, "is missing"));
    if (!c.node.isObject()) {
      throw error(field, "must be an object, got " + show(c.node));
    }
    return c;
  }

  /** The elements of an array field. */
  public List<InputNode> array(String field) {
    InputNode c = child(field).orElseThrow(() -> error(field, "is missing"));
    if (!c.node.isArray()) {
      throw error(field, "must be a list, got " + show(c.node));
    }
    List<InputNode> items = new ArrayList<>(c.node.size());
    for (int i = 0; i < c.node.size(); i++) {
      items.add(new InputNode(file, c.path + "[" + i + "]", c.node.get(i)));
    }
    return items;
  }

  public String string(String field) {
    return optionalString(field).orElseThrow(() -> error(field, "is missing"));
  }

  public Optional<String> optionalString(String field) {
    Optional<InputNode> c = child(field);
    if (c.isEmpty()) {
      return Optional.empty();
    }
    JsonNode v = c.get().node;
    if (!v.isValueNode()) {
      throw error(field, "must be a string, got " + show(v));
    }
    String text = v.asText();
    if (text.isBlank()) {
      throw error(field, "must not be empty");
    }
    return Optional.of(text);
  }

  /** A finite number >= 0. */
  public double number(String field) {
    return optionalNumber(field).orElseThrow(() -> error(field, "is missing"));
  }

  /** A finite number >= 0, when present. */
  public Optional<Double> optionalNumber(String field) {
    Optional<InputNode> c = child(field);
    if (c.isEmpty()) {
      return Optional.empty();
    }
    JsonNode v = c.get().node;
    double d;
    if (v.isNumber()) {
      d = v.asDouble();
    } else if (v.isTextual()) {
      try {
        d = Double.parseDouble(v.asText().trim());
      } catch (NumberFormatException e) {
        throw error(field, "must be a number, got " + show(v));
      }
    } else {
      throw error(field, "must be a number, got " + show(v));
    }
    if (!Double.isFinite(d) || d < 0) {
      throw error(field, "must be a finite number >= 0, got " + show(v));
    }
    return Optional.of(d);
  }

  /** A whole number >= 0. */
  public long integer(String field) {
    return optionalInteger(field).orElseThrow(() -> error(field, "is missing"));
  }

  /** A whole number >= 0, when present. */
  public Optional<Long> optionalInteger(String field) {
    Optional<InputNode> c = child(field);
    if (c.isEmpty()) {
      return Optional.empty();
    }
    JsonNode v = c.get().node;
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      long n = v.asLong();
      if (n < 0) {
        throw error(field, "must be >= 0, got " + n);
      }
      return Optional.of(n);
    }
    if (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()) && Math.abs(v.asDouble()) < 9e15) {
      long n = (long) v.asDouble();
      if (n < 0) {
        throw error(field, "must be >= 0, got " + show(v));
      }
      return Optional.of(n);
    }
    throw error(field, "must be a whole number >= 0, got " + show(v));
  }

  /**
   * A whole number from 0 to {@code limit} (a {@link dev.pipeplan.models.ModelLimits} constant),
   * when present; a larger one, however written, is refused with the limit in the message.
   */
  public Optional<Long> optionalInteger(String field, long limit) {
    Optional<InputNode> c = child(field);
    if (c.isPresent() && c.get().node.isNumber()) {
      JsonNode v = c.get().node;
      boolean tooLarge =
          v.isIntegralNumber() && !v.canConvertToLong()
              ? v.bigIntegerValue().signum() > 0
              : v.asDouble() > limit;
      if (tooLarge) {
        throw error(field, limitProblem(limit, show(v)));
      }
    }
    Optional<Long> n = optionalInteger(field);
    if (n.isPresent() && n.get() > limit) {
      throw error(field, limitProblem(limit, n.get().toString()));
    }
    return n;
  }

  /** The problem of a value over a limit: "must be between 0 and LIMIT (...), got VALUE". */
  public static String limitProblem(long limit, String value) {
    return "must be between 0 and "
        + limit
        + " (pipeplan's limit, see docs/formats.md), got "
        + value;
  }

  /**
   * Refuses a number below {@code min} or above {@code max} with one message ("must be between MIN
   * and MAX..."), so that -4, 0 and 1e18 get the words of the limit, not of the number's shape;
   * absent or non-numeric values are left to the reader that follows.
   */
  public void requireWithin(String field, long min, long max, String note) {
    Optional<InputNode> c = child(field);
    if (c.isEmpty() || !c.get().node.isNumber()) {
      return;
    }
    JsonNode v = c.get().node;
    boolean outside =
        (v.isIntegralNumber() && !v.canConvertToLong()) || v.asDouble() < min || v.asDouble() > max;
    if (outside) {
      throw error(field, "must be between " + min + " and " + max + note + ", got " + show(v));
    }
  }

  /** A whole number > 0 that fits an int, when present. */
  public Optional<Integer> optionalPositiveInt(String field) {
    Optional<InputNode> c = child(field);
    if (c.isPresent() && c.get().node.isNumber() && c.get().node.asDouble() < 1) {
      throw error(field, "must be >= 1, got " + show(c.get().node));
    }
    Optional<Long> n = optionalInteger(field);
    if (n.isPresent() && n.get() > Integer.MAX_VALUE) {
      throw error(field, "must be between 1 and " + Integer.MAX_VALUE + ", got " + n.get());
    }
    return n.map(Long::intValue);
  }

  public Optional<Boolean> optionalBoolean(String field) {
    Optional<InputNode> c = child(field);
    if (c.isEmpty()) {
      return Optional.empty();
    }
    JsonNode v = c.get().node;
    if (v.isBoolean()) {
      return Optional.of(v.asBoolean());
    }
    if (v.isTextual()
        && (v.asText().equalsIgnoreCase("true") || v.asText().equalsIgnoreCase("false"))) {
      return Optional.of(Boolean.parseBoolean(v.asText()));
    }
    throw error(field, "must be true or false, got " + show(v));
  }

  private String at(String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  private static String show(JsonNode v) {
    if (v.isTextual()) {
      return "'" + v.asText() + "'";
    }
    if (v.isObject()) {
      return "an object";
    }
    if (v.isArray()) {
      return "a list";
    }
    return v.toString();
  }
}
