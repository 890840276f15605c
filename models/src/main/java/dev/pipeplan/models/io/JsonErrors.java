package dev.pipeplan.models.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jackson's parse errors in a user's words: a file cut short says where it ends ("is truncated
 * (ends inside model.layers[33], line 714)"); any other syntax error says line and column, without
 * Jackson's internals ("[Source: REDACTED ...]", "start marker at ...").
 */
public final class JsonErrors {
  private JsonErrors() {}

  /**
   * Whether {@code e} is a syntax error (as opposed to a well-formed document with a wrong value):
   * the document ends early, or the parser stopped on a character.
   */
  public static boolean isSyntax(Throwable e) {
    return find(e, com.fasterxml.jackson.core.JsonParseException.class) != null;
  }

  /**
   * "{@code what} is truncated (ends inside a.b[3], line 7)" or "{@code what} is not valid JSON
   * (line 3, column 16): Unexpected character ...".
   */
  public static String syntax(String what, JsonProcessingException e) {
    JsonEOFException eof = find(e, JsonEOFException.class);
    JsonLocation at = e.getLocation();
    if (eof != null) {
      String path = e instanceof JsonMappingException ? mappingPath((JsonMappingException) e) : "";
      if (path.isEmpty()) {
        path = parserPath(eof.getProcessor());
      }
      String inside = path.isEmpty() ? "" : "ends inside " + path + ", ";
      int line = eof.getLocation() != null ? eof.getLocation().getLineNr() : lineOf(at);
      return what + " is truncated (" + inside + "line " + line + ")";
    }
    String where =
        at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    if (isTrailing(e)) {
      return what
          + " is not valid JSON"
          + where
          + ": more text after the end of the document, which holds one value. Maybe delete"
          + " what follows its last closing bracket";
    }
    return what + " is not valid JSON" + where + ": " + clean(e.getOriginalMessage());
  }

  /** Whether Jackson refused a second value after the document (FAIL_ON_TRAILING_TOKENS). */
  public static boolean isTrailing(JsonProcessingException e) {
    return e instanceof MismatchedInputException
        && e.getOriginalMessage() != null
        && e.getOriginalMessage().startsWith("Trailing token");
  }

  /** Jackson's message up to its first line, without source and start-marker details. */
  public static String clean(String message) {
    if (message == null || message.isBlank()) {
      return "malformed";
    }
    String m = message;
    int nl = m.indexOf('\n');
    if (nl >= 0) {
      m = m.substring(0, nl);
    }
    String remedy = jacksonRemedy(m);
    if (remedy != null) {
      return remedy;
    }
    if (m.startsWith("Cannot coerce ")
        && (m.contains(" to `int` ")
            || m.contains(" to `long` ")
            || m.contains(" to `java.lang.Integer` ")
            || m.contains(" to `java.lang.Long` "))) {
      // a count given as text or with a fraction (an optional one is boxed): say what is wanted,
      // not Jackson's remedy
      int to = m.indexOf(" to `");
      return "must be a whole number, got " + m.substring("Cannot coerce ".length(), to);
    }
    for (String noise :
        new String[] {
          " (start marker at",
          " (for Object starting",
          " (for Array starting",
          " at [Source:",
          "[Source:"
        }) {
      int i = m.indexOf(noise);
      if (i >= 0) {
        m = m.substring(0, i);
      }
    }
    return m.strip();
  }

  private static final Pattern NON_NUMERIC = Pattern.compile("Non-standard token '([^']*)'.*");

  /**
   * Jackson's syntax errors that end in a parser setting to enable ("enable
   * `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow", "Feature 'ALLOW_COMMENTS' not enabled"),
   * and its byte-order-mark error, which prints an invisible character: what the file has and what
   * JSON wants instead; null for any other message.
   */
  private static String jacksonRemedy(String m) {
    Matcher nonNumeric = NON_NUMERIC.matcher(m);
    if (nonNumeric.matches()) {
      return "'" + nonNumeric.group(1) + "' is not a number JSON allows; write a finite number";
    }
    if (m.contains("maybe a (non-standard) comment?")
        || m.startsWith("Unexpected character ('#'")) {
      return "JSON has no comments; delete the comment";
    }
    if (m.contains("does not allow numbers to have plus signs")) {
      return "JSON numbers have no plus sign; delete the '+'";
    }
    if (m.startsWith("Unexpected character ('\ufeff'")) {
      return "the file starts with a byte-order mark (U+FEFF), which JSON does not allow; save it"
          + " as UTF-8 without a byte-order mark";
    }
    int enable = m.indexOf(": enable `");
    if (enable >= 0) {
      return m.substring(0, enable).strip();
    }
    return null;
  }

  private static final Pattern WRONG_TYPE =
      Pattern.compile("Cannot deserialize value of type `([^`]+)` from ([A-Za-z-]+) value.*");

  /**
   * A well-formed document that does not bind, in the file's terms rather than Jackson's (no class
   * names, no settings to change): "field 'microBatchSize' is missing", "field 'partition' must be
   * an object, got a list", "field 'bogus' is not a field of this file", or the record's own check
   * ("microBatchSize must be > 0, got -4").
   */
  public static String binding(JsonMappingException e) {
    String path = mappingPath(e);
    Throwable cause = e.getCause();
    if (e instanceof ValueInstantiationException && cause != null && cause.getMessage() != null) {
      if (cause instanceof NullPointerException
          && cause.getMessage().matches("[A-Za-z_][A-Za-z0-9_]*")) {
        // a record's Objects.requireNonNull(x, "x"): the field was left out or null
        String field = path.isEmpty() ? cause.getMessage() : path + "." + cause.getMessage();
        return "field '" + field + "' is missing";
      }
      return (path.isEmpty() ? "" : "field '" + path + "': ") + cause.getMessage();
    }
    String m = clean(e.getOriginalMessage());
    String problem;
    Matcher wrongType = WRONG_TYPE.matcher(m);
    if (m.startsWith("Cannot map `null` into type")) {
      problem = "is missing";
    } else if (wrongType.matches()) {
      problem = "must be " + wanted(wrongType.group(1)) + ", got " + given(wrongType.group(2));
    } else if (e instanceof UnrecognizedPropertyException) {
      problem = "is not a field of this file (a typo, or a file of another pipeplan version?)";
    } else {
      return (path.isEmpty() ? "" : "field '" + path + "': ") + m;
    }
    return path.isEmpty() ? "the document " + problem : "field '" + path + "' " + problem;
  }

  /** What a Java type asks for, in JSON's words. */
  private static String wanted(String javaType) {
    if (javaType.endsWith("[]")
        || javaType.contains("List<")
        || javaType.contains("Set<")
        || javaType.startsWith("java.util.List")) {
      return "a list";
    }
    switch (javaType) {
      case "int":
      case "long":
      case "java.lang.Integer":
      case "java.lang.Long":
        return "a whole number";
      case "double":
      case "float":
      case "java.lang.Double":
        return "a number";
      case "boolean":
      case "java.lang.Boolean":
        return "true or false";
      case "java.lang.String":
        return "text";
      default:
        return "an object";
    }
  }

  /** What Jackson found, in JSON's words ("Array value" is a list). */
  private static String given(String jacksonShape) {
    switch (jacksonShape) {
      case "String":
        return "text";
      case "Array":
        return "a list";
      case "Object":
        return "an object";
      case "Integer":
        return "a whole number";
      case "Floating-point":
        return "a number";
      case "Boolean":
        return "true or false";
      default:
        return jacksonShape.toLowerCase(Locale.ROOT) + " value";
    }
  }

  /** The data-binding path of a mapping failure, "stageCosts[2].forwardNanos". */
  public static String mappingPath(JsonMappingException e) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  private static String parserPath(Object processor) {
    if (!(processor instanceof JsonParser)) {
      return "";
    }
    JsonStreamContext c = ((JsonParser) processor).getParsingContext();
    java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
    for (; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inArray()) {
        parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
      } else if (c.getCurrentName() != null) {
        parts.push("." + c.getCurrentName());
      }
    }
    String path = String.join("", parts);
    return path.startsWith(".") ? path.substring(1) : path;
  }

  private static int lineOf(JsonLocation at) {
    return at == null ? 0 : at.getLineNr();
  }

  private static <T extends Throwable> T find(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
