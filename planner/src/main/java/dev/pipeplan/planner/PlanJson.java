package dev.pipeplan.planner;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.JsonErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The plan file: pretty JSON with sorted keys (see {@code docs/formats.md}, "Plan file"). The same
 * plan always gives the same bytes.
 */
public final class PlanJson {
  private PlanJson() {}

  /** The plan as JSON text with a trailing newline. */
  public static String write(Plan plan) {
    return Json.write(Objects.requireNonNull(plan, "plan"));
  }

  /** Writes the plan atomically. */
  public static void write(Plan plan, Path file) {
    AtomicFiles.writeString(file, write(plan));
  }

  /**
   * Reads and validates a plan file; a malformed one gives a {@link BadInputException} naming file
   * and field. A plan whose schedule its kind, pp, m, v, group size and in-flight cap cannot make
   * is refused here too, in the file's terms, before any command generates it.
   */
  public static Plan read(Path file) {
    Objects.requireNonNull(file, "file");
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new BadInputException("plan file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new BadInputException("cannot read plan file " + file + ": " + e.getMessage(), e);
    }
    return parse(text, file.toString());
  }

  /**
   * What a field of this type takes: an enum's constants ("one of FLASH, EAGER"), else the type.
   */
  private static String expected(Class<?> type) {
    if (type != null && type.isEnum()) {
      StringBuilder b = new StringBuilder("one of ");
      Object[] constants = type.getEnumConstants();
      for (int i = 0; i < constants.length; i++) {
        b.append(i == 0 ? "" : ", ").append(((Enum<?>) constants[i]).name());
      }
      return b.toString();
    }
    return type == null ? "another value" : type.getSimpleName();
  }

  /**
   * Names the kind of a pipeplan file given where a plan belongs (a run, a timeline, a model),
   * which the plan reader would otherwise refuse with a message about its first unexpected field.
   */
  private static void refuseOtherFormats(JsonNode root, String source) {
    if (!root.path("format").isTextual()) {
      return;
    }
    String format = root.path("format").asText();
    String kind =
        switch (format) {
          case "pipeplan-run" -> "a measured run (from 'pipeplan run')";
          case "pipeplan-timeline" -> "a timeline (from 'pipeplan simulate --timeline')";
          case "pipeplan-model" -> "a model file (from 'pipeplan models import')";
          default -> "a file of format '" + format + "'";
        };
    throw new BadInputException(
        "plan file "
            + source
            + " is "
            + kind
            + ", not a plan. Maybe give the file 'pipeplan plan -o' wrote");
  }

  /**
   * Parses plan JSON text; {@code source} names it in error messages. The text is parsed once, into
   * a tree that both the format check and the binding to {@link Plan} read.
   */
  public static Plan parse(String text, String source) {
    JsonNode root;
    try {
      root = Json.json().readTree(text);
    } catch (JsonProcessingException e) {
      throw new BadInputException(JsonErrors.syntax("plan file " + source, e), e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new BadInputException("plan file " + source + " is empty");
    }
    refuseOtherFormats(root, source);
    Plan plan;
    try {
      plan = Json.json().treeToValue(root, Plan.class);
    } catch (ValueInstantiationException e) {
      throw new BadInputException("plan file " + source + ": " + JsonErrors.binding(e), e);
    } catch (InvalidFormatException e) {
      throw new BadInputException(
          "plan file "
              + source
              + ": field '"
              + path(e)
              + "' has value '"
              + e.getValue()
              + "', expected "
              + expected(e.getTargetType()),
          e);
    } catch (JsonMappingException e) {
      throw new BadInputException("plan file " + source + ": " + JsonErrors.binding(e), e);
    } catch (JsonProcessingException e) {
      throw new BadInputException(
          "plan file " + source + ": " + JsonErrors.clean(e.getOriginalMessage()), e);
    }
    if (plan == null) {
      throw new BadInputException("plan file " + source + " is empty");
    }
    try {
      PlanValidator.validateAsRead(plan);
    } catch (BadInputException e) {
      throw new BadInputException("plan file " + source + ": " + e.getMessage(), e);
    }
    try {
      PlanPrediction.schedule(plan);
    } catch (BadInputException e) {
      throw new BadInputException("plan file " + source + ": " + inPlanTerms(e.getMessage()), e);
    }
    return plan;
  }

  /**
   * The command-line options a schedule generator's message names its parameters by ({@code
   * RequestChecks}, {@code WorkLimits}), and the plan fields that give them.
   */
  private static final Map<String, String> SCHEDULE_FIELDS =
      Map.of(
          "--pp", "parallelism.pp",
          "--microbatches", "microBatchCount",
          "--virtual-stages", "virtualStages",
          "--group-size", "groupSize",
          "--max-in-flight", "maxInFlightMicroBatches");

  /** Any of {@link #SCHEDULE_FIELDS}' options, as a whole word. */
  private static final Pattern SCHEDULE_OPTION =
      Pattern.compile(
          SCHEDULE_FIELDS.keySet().stream()
                  .sorted()
                  .map(Pattern::quote)
                  .collect(Collectors.joining("|", "(", ")"))
              + "(?![\\w-])");

  /**
   * A schedule generator's refusal in the plan file's terms: the plan gave fields, not command-line
   * options ("Maybe use --group-size 4" would send the reader to an option of another command).
   */
  static String inPlanTerms(String message) {
    Matcher m = SCHEDULE_OPTION.matcher(message);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(SCHEDULE_FIELDS.get(m.group())));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The JSON path of the failure, "stageCosts[2].forwardNanos". */
  private static String path(JsonMappingException e) {
    return JsonErrors.mappingPath(e);
  }
}
