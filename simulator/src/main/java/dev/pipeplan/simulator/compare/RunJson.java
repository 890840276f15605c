package dev.pipeplan.simulator.compare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.models.io.JsonErrors;
import dev.pipeplan.simulator.timeline.Timeline;
import dev.pipeplan.simulator.timeline.TimelineJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads and writes a {@link MeasuredRun} as JSON ("Run file" in docs/formats.md). Timelines are
 * embedded in the timeline file format ({@link TimelineJson}); a {@code comparison} summary is
 * written for readers and ignored when reading (it is recomputed). The same run gives the same
 * bytes.
 */
public final class RunJson {
  /** The {@code format} value of a run file. */
  public static final String FORMAT = "pipeplan-run";

  /** The version this code writes and reads. */
  public static final int VERSION = 1;

  private RunJson() {}

  public static String write(MeasuredRun run) {
    Objects.requireNonNull(run, "run");
    ObjectNode root = Json.json().createObjectNode();
    root.put("format", FORMAT);
    root.put("version", VERSION);
    root.put("modelName", run.modelName());
    root.put("scheduleName", run.scheduleName());
    root.put("pipelineDevices", run.pipelineDevices());
    root.put("virtualStages", run.virtualStages());
    root.put("microBatchCount", run.microBatchCount());
    root.put("microBatchSize", run.microBatchSize());
    root.put("partition", run.partition());
    root.put("backend", run.backend());
    root.put("machine", run.machine());
    root.put("threadSettings", run.threadSettings());
    root.put("seed", run.seed());
    root.put("warmupIterations", run.warmupIterations());
    root.put("representativeIteration", run.representativeIteration());
    ArrayNode losses = root.putArray("losses");
    for (double loss : run.losses()) {
      losses.add(loss);
    }
    Comparison c = run.comparison();
    ObjectNode summary = root.putObject("comparison");
    summary.put("predictedIterationNanos", c.predictedIterationNanos());
    summary.put("measuredIterationNanos", c.measuredIterationNanos());
    summary.put("iterationError", c.iterationError());
    summary.put("medianActionError", c.medianActionError());
    summary.put("p90ActionError", c.p90ActionError());
    summary.put("predictedBubbleRatio", c.predictedBubbleRatio());
    summary.put("measuredBubbleRatio", c.measuredBubbleRatio());
    summary.put("mostDriftedStage", c.mostDriftedStage());
    summary.put("mostDriftedRatio", c.mostDriftedRatio());
    summary.put("unmatchedActions", c.unmatchedActions());
    root.set("predicted", timelineNode(run.predicted()));
    ArrayNode iterations = root.putArray("iterations");
    for (Timeline t : run.iterations()) {
      iterations.add(timelineNode(t));
    }
    return Json.write(root);
  }

  public static void write(Path file, MeasuredRun run) {
    AtomicFiles.writeString(file, write(run));
  }

  public static MeasuredRun read(String json) {
    JsonNode root;
    try {
      root = Json.json().readTree(json);
    } catch (JsonProcessingException e) {
      throw new BadInputException(JsonErrors.syntax("run file", e), e);
    }
    if (root == null || !root.isObject()) {
      throw new BadInputException("run file must hold one JSON object");
    }
    if (!FORMAT.equals(text(root, "format")) || root.path("version").asInt(-1) != VERSION) {
      throw new BadInputException(
          "run file has format '"
              + root.path("format").asText()
              + "' version "
              + root.path("version").asText()
              + "; this pipeplan reads "
              + FORMAT
              + " version "
              + VERSION);
    }
    List<Double> losses = new ArrayList<>();
    for (JsonNode n : array(root, "losses")) {
      losses.add(n.asDouble());
    }
    List<Timeline> iterations = new ArrayList<>();
    for (JsonNode n : array(root, "iterations")) {
      iterations.add(TimelineJson.read(n.toString()));
    }
    return new MeasuredRun(
        text(root, "modelName"),
        text(root, "scheduleName"),
        integer(root, "pipelineDevices"),
        integer(root, "virtualStages"),
        integer(root, "microBatchCount"),
        integer(root, "microBatchSize"),
        text(root, "partition"),
        TimelineJson.read(field(root, "predicted").toString()),
        iterations,
        integer(root, "representativeIteration"),
        losses,
        integer(root, "warmupIterations"),
        text(root, "backend"),
        text(root, "machine"),
        text(root, "threadSettings"),
        field(root, "seed").asLong());
  }

  public static MeasuredRun read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new BadInputException(
          "run file " + file + " does not exist. Maybe run 'pipeplan run' first.");
    } catch (IOException e) {
      throw new BadInputException("cannot read run file " + file + ": " + e.getMessage(), e);
    }
    try {
      return read(text);
    } catch (BadInputException e) {
      String m = e.getMessage();
      // name the file the user gave: "run file X is truncated ...", "run file X has no 'plan'"
      throw new BadInputException(
          m.startsWith("run file")
              ? "run file " + file + m.substring("run file".length())
              : "run file " + file + ": " + m,
          e);
    }
  }

  private static JsonNode timelineNode(Timeline timeline) {
    try {
      return Json.json().readTree(TimelineJson.write(timeline));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("timeline JSON did not parse back: " + e.getMessage(), e);
    }
  }

  private static JsonNode field(JsonNode root, String name) {
    JsonNode n = root.get(name);
    if (n == null || n.isNull()) {
      throw new BadInputException("run file has no '" + name + "'");
    }
    return n;
  }

  private static String text(JsonNode root, String name) {
    JsonNode n = field(root, name);
    if (!n.isTextual()) {
      throw new BadInputException("run file '" + name + "' must be a string, got " + n);
    }
    return n.asText();
  }

  private static int integer(JsonNode root, String name) {
    JsonNode n = field(root, name);
    if (!n.canConvertToInt()) {
      throw new BadInputException("run file '" + name + "' must be an integer, got " + n);
    }
    return n.asInt();
  }

  private static JsonNode array(JsonNode root, String name) {
    JsonNode n = field(root, name);
    if (!n.isArray()) {
      throw new BadInputException(
          "run file '" + name + "' must be an array, got " + n.getNodeType());
    }
    return n;
  }
}
