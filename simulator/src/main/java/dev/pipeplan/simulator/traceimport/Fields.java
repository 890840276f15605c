package dev.pipeplan.simulator.traceimport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Typed reads of JSON fields whose failures name the file, the element and the field. */
final class Fields {
  private static final Pattern ACTION = Pattern.compile("(\\d{1,9})([FIWB])(\\d{1,9})");

  private final String file;

  Fields(String file) {
    this.file = file;
  }

  private BadInputException bad(String where, String field, String problem) {
    return new BadInputException(
        "trace file "
            + file
            + ": "
            + (where.isEmpty() ? "" : where + ": ")
            + "field '"
            + field
            + "' "
            + problem);
  }

  private JsonNode field(JsonNode node, String name, String where) {
    JsonNode n = node == null ? null : node.get(name);
    if (n == null || n.isNull()) {
      throw bad(where, name, "is missing");
    }
    return n;
  }

  String text(JsonNode node, String name, String where) {
    JsonNode n = field(node, name, where);
    if (!n.isTextual()) {
      throw bad(where, name, "must be a string, got " + n);
    }
    return n.asText();
  }

  int integer(JsonNode node, String name, String where) {
    JsonNode n = field(node, name, where);
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw bad(where, name, "must be an integer, got " + n);
    }
    return n.asInt();
  }

  long longValue(JsonNode node, String name, String where) {
    JsonNode n = field(node, name, where);
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw bad(where, name, "must be an integer number of nanoseconds, got " + n);
    }
    return n.asLong();
  }

  double number(JsonNode node, String name, String where) {
    JsonNode n = field(node, name, where);
    if (!n.isNumber()) {
      throw bad(where, name, "must be a number, got " + n);
    }
    return n.asDouble();
  }

  JsonNode array(JsonNode node, String name, String where) {
    JsonNode n = field(node, name, where);
    if (!n.isArray()) {
      throw bad(where, name, "must be an array, got " + n.getNodeType());
    }
    return n;
  }

  /** An action in pipeplan's spelling, "2F5"; null when the text is not one. */
  static Action parseAction(String text) {
    Matcher m = ACTION.matcher(text);
    if (!m.matches()) {
      return null;
    }
    return Action.of(
        ActionType.valueOf(m.group(2)), Integer.parseInt(m.group(1)), Integer.parseInt(m.group(3)));
  }

  static Action action(String text, String file, String where) {
    Action a = parseAction(text);
    if (a == null) {
      throw new BadInputException(
          "trace file "
              + file
              + ": "
              + where
              + ": field 'action' is '"
              + text
              + "', expected <stage><F|I|W|B><micro-batch> such as 2F5");
    }
    return a;
  }
}
