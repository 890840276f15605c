package dev.pipeplan.simulator.timeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.JsonErrors;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes a {@link Timeline} as JSON (docs/formats.md, "Timeline JSON"). Written by hand
 * rather than by the object mapper so that a timeline of a hundred thousand actions stays one line
 * per action, with a fixed key order: the same timeline always gives the same bytes.
 */
public final class TimelineJson {
  /** The value of the {@code format} key. */
  public static final String FORMAT = "pipeplan-timeline";

  public static final int VERSION = 1;

  private static final Pattern ACTION = Pattern.compile("(\\d+)([FIWB])(\\d+)");

  private TimelineJson() {}

  public static String write(Timeline timeline) {
    return write(timeline, Provenance.unrecorded());
  }

  /**
   * The timeline with how it was made ({@code provenance}: pipeplan's version, the cost source, the
   * schedule and the cluster), left out when unrecorded; readers ignore it.
   */
  public static String write(Timeline timeline, Provenance provenance) {
    Objects.requireNonNull(timeline, "timeline");
    Objects.requireNonNull(provenance, "provenance");
    StringBuilder out = new StringBuilder(128 + 80 * timeline.actions().size());
    out.append("{\n");
    out.append("  \"format\": \"").append(FORMAT).append("\",\n");
    out.append("  \"version\": ").append(VERSION).append(",\n");
    if (!provenance.equals(Provenance.unrecorded())) {
      out.append("  \"provenance\": {\"pipeplanVersion\": ")
          .append(Json.quote(provenance.pipeplanVersion()))
          .append(", \"costSource\": ")
          .append(Json.quote(provenance.costSource()))
          .append(", \"searchOptions\": ")
          .append(Json.quote(provenance.searchOptions()))
          .append(", \"cluster\": ")
          .append(Json.quote(provenance.cluster()))
          .append("},\n");
    }
    out.append("  \"source\": ").append(Json.quote(timeline.source())).append(",\n");
    out.append("  \"scheduleName\": ").append(Json.quote(timeline.scheduleName())).append(",\n");
    out.append("  \"deviceCount\": ").append(timeline.deviceCount()).append(",\n");
    out.append("  \"actions\": [");
    String sep = "\n";
    for (TimedAction a : timeline.actions()) {
      out.append(sep)
          .append("    {\"device\": ")
          .append(a.device())
          .append(", \"action\": \"")
          .append(a.action())
          .append('"')
          .append(", \"startNanos\": ")
          .append(a.startNanos())
          .append(", \"endNanos\": ")
          .append(a.endNanos())
          .append('}');
      sep = ",\n";
    }
    out.append(timeline.actions().isEmpty() ? "],\n" : "\n  ],\n");
    out.append("  \"transfers\": [");
    sep = "\n";
    for (Transfer t : timeline.transfers()) {
      out.append(sep)
          .append("    {\"fromDevice\": ")
          .append(t.fromDevice())
          .append(", \"toDevice\": ")
          .append(t.toDevice())
          .append(", \"producer\": \"")
          .append(t.producer())
          .append('"')
          .append(", \"consumer\": \"")
          .append(t.consumer())
          .append('"')
          .append(", \"bytes\": ")
          .append(t.bytes())
          .append(", \"startNanos\": ")
          .append(t.startNanos())
          .append(", \"endNanos\": ")
          .append(t.endNanos())
          .append('}');
      sep = ",\n";
    }
    out.append(timeline.transfers().isEmpty() ? "],\n" : "\n  ],\n");
    out.append("  \"memory\": [");
    sep = "\n";
    for (MemoryPoint m : timeline.memory()) {
      out.append(sep)
          .append("    {\"device\": ")
          .append(m.device())
          .append(", \"timeNanos\": ")
          .append(m.timeNanos())
          .append(", \"bytes\": ")
          .append(m.bytes())
          .append('}');
      sep = ",\n";
    }
    out.append(timeline.memory().isEmpty() ? "]\n" : "\n  ]\n");
    out.append("}\n");
    return out.toString();
  }

  /**
   * Reads a timeline file; a malformed one gives a BadInputException naming the file, the field and
   * the value.
   */
  public static Timeline read(Path file) {
    Objects.requireNonNull(file, "file");
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BadInputException("cannot read timeline file " + file + ": " + e.getMessage(), e);
    }
    return parse(text, file.toString());
  }

  /** Reads a timeline from JSON text. */
  public static Timeline read(String json) {
    return parse(Objects.requireNonNull(json, "json"), "timeline JSON");
  }

  private static Timeline parse(String text, String origin) {
    JsonNode root;
    try {
      root = Json.json().readTree(text);
    } catch (JsonProcessingException e) {
      throw new BadInputException(JsonErrors.syntax(origin, e), e);
    }
    return read(root, origin);
  }

  /**
   * Reads a timeline already parsed, one embedded in another file (a run file's {@code
   * iterations[2]}); {@code origin} ("run file r.json: iterations[2]") starts every message,
   * including those of the timeline's own checks (an action on a device outside the timeline, one
   * that ends before it starts).
   */
  public static Timeline read(JsonNode root, String origin) {
    Objects.requireNonNull(origin, "origin");
    try {
      return parseChecked(root, origin);
    } catch (IllegalArgumentException e) {
      // A record's own check (an action that ends before it starts, a transfer backwards in time).
      throw new BadInputException(origin + ": " + e.getMessage(), e);
    } catch (BadInputException e) {
      if (e.getMessage().startsWith(origin)) {
        throw e;
      }
      // the Timeline's own checks (an action on a device outside 0..deviceCount-1)
      throw new BadInputException(origin + ": " + e.getMessage(), e);
    }
  }

  private static Timeline parseChecked(JsonNode root, String origin) {
    if (root == null || !root.isObject()) {
      throw new BadInputException(origin + " must hold a JSON object");
    }
    String format = text(root, "format", origin);
    if (!FORMAT.equals(format)) {
      throw new BadInputException(
          origin + ": field 'format' is '" + format + "', expected '" + FORMAT + "'");
    }
    long version = number(root, "version", origin);
    if (version != VERSION) {
      throw new BadInputException(
          origin + ": field 'version' is " + version + "; this pipeplan reads version " + VERSION);
    }
    List<TimedAction> actions = new ArrayList<>();
    for (JsonNode a : array(root, "actions", origin)) {
      String where = origin + " actions[" + actions.size() + "]";
      actions.add(
          new TimedAction(
              (int) number(a, "device", where),
              action(a, "action", where),
              number(a, "startNanos", where),
              number(a, "endNanos", where)));
    }
    List<Transfer> transfers = new ArrayList<>();
    for (JsonNode t : array(root, "transfers", origin)) {
      String where = origin + " transfers[" + transfers.size() + "]";
      transfers.add(
          new Transfer(
              (int) number(t, "fromDevice", where),
              (int) number(t, "toDevice", where),
              action(t, "producer", where),
              action(t, "consumer", where),
              number(t, "bytes", where),
              number(t, "startNanos", where),
              number(t, "endNanos", where)));
    }
    List<MemoryPoint> memory = new ArrayList<>();
    for (JsonNode m : array(root, "memory", origin)) {
      String where = origin + " memory[" + memory.size() + "]";
      memory.add(
          new MemoryPoint(
              (int) number(m, "device", where),
              number(m, "timeNanos", where),
              number(m, "bytes", where)));
    }
    return new Timeline(
        text(root, "source", origin),
        text(root, "scheduleName", origin),
        (int) number(root, "deviceCount", origin),
        actions,
        transfers,
        memory);
  }

  private static JsonNode field(JsonNode node, String name, String where) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      throw new BadInputException(where + ": field '" + name + "' is missing");
    }
    return value;
  }

  private static String text(JsonNode node, String name, String where) {
    JsonNode value = field(node, name, where);
    if (!value.isTextual()) {
      throw new BadInputException(where + ": field '" + name + "' must be a string, got " + value);
    }
    return value.asText();
  }

  private static long number(JsonNode node, String name, String where) {
    JsonNode value = field(node, name, where);
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new BadInputException(
          where + ": field '" + name + "' must be a whole number, got " + value);
    }
    return value.asLong();
  }

  private static Iterable<JsonNode> array(JsonNode node, String name, String where) {
    JsonNode value = field(node, name, where);
    if (!value.isArray()) {
      throw new BadInputException(
          where + ": field '" + name + "' must be an array, got " + value.getNodeType());
    }
    return value;
  }

  private static Action action(JsonNode node, String name, String where) {
    String cell = text(node, name, where);
    Matcher m = ACTION.matcher(cell);
    if (!m.matches()) {
      throw new BadInputException(
          where
              + ": field '"
              + name
              + "' is '"
              + cell
              + "'; an action is <stage><F|I|W|B><micro-batch>, like 2F5");
    }
    try {
      return Action.of(
          ActionType.valueOf(m.group(2)),
          Integer.parseInt(m.group(1)),
          Integer.parseInt(m.group(3)));
    } catch (NumberFormatException e) {
      throw new BadInputException(
          where + ": field '" + name + "' is '" + cell + "': index too large", e);
    }
  }
}
