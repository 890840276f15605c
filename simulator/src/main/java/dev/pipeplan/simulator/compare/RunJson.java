package dev.pipeplan.simulator.compare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Provenance;
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
    if (run.sequenceLength() > 0) {
      root.put("sequenceLength", run.sequenceLength());
    }
    root.put("representativeIteration", run.representativeIteration());
    ArrayNode losses = root.putArray("losses");
    for (double loss : run.losses()) {
      if (Double.isFinite(loss)) {
        losses.add(loss);
      } else {
        // JSON has no NaN or infinity: the strings "NaN", "Infinity", "-Infinity" stand for them
        losses.add(Double.toString(loss));
      }
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
    run.errorInterval()
        .ifPresent(
            interval -> {
              ObjectNode ci = summary.putObject("iterationErrorInterval");
              ci.put("lower", interval.lower());
              ci.put("upper", interval.upper());
              ci.put("level", interval.level());
              ci.put("iterations", interval.iterations());
              ci.put("resamples", interval.resamples());
              ci.put("seed", interval.seed());
              ci.put("withinNoise", interval.withinNoise());
            });
    summary.put("machineBusy", run.noise().busy());
    summary.put("predictedForAnotherDevice", run.predictedForAnotherDevice());
    summary.put("warning", String.join("; ", run.comparisonWarnings()));
    if (!run.provenance().equals(Provenance.unrecorded())) {
      ObjectNode p = root.putObject("provenance");
      p.put("pipeplanVersion", run.provenance().pipeplanVersion());
      p.put("costSource", run.provenance().costSource());
      p.put("searchOptions", run.provenance().searchOptions());
      p.put("cluster", run.provenance().cluster());
    }
    if (run.noise().known()) {
      root.set("noise", noiseNode(run.noise()));
    }
    if (!run.actionCpuNanos().isEmpty()) {
      ArrayNode cpu = root.putArray("actionCpuNanos");
      for (List<Long> perIteration : run.actionCpuNanos()) {
        ArrayNode row = cpu.addArray();
        for (long nanos : perIteration) {
          row.add(nanos);
        }
      }
    }
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
    return read(json, "run file");
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
    return read(text, "run file " + file);
  }

  /** Parses run JSON; {@code source} ("run file r.json") starts every message. */
  private static MeasuredRun read(String json, String source) {
    if (json.isBlank()) {
      throw new BadInputException(source + " is empty. Maybe run 'pipeplan run' again.");
    }
    JsonNode root;
    try {
      root = Json.json().readTree(json);
    } catch (JsonProcessingException e) {
      throw new BadInputException(JsonErrors.syntax(source, e), e);
    }
    if (root == null || !root.isObject()) {
      throw new BadInputException(source + " must hold one JSON object");
    }
    Fields f = new Fields(root, source);
    if (!root.path("format").isTextual()) {
      throw new BadInputException(
          source
              + " is not a run file: it has no 'format' (a run file has format '"
              + FORMAT
              + "'). Maybe give the file 'pipeplan run' wrote.");
    }
    if (!FORMAT.equals(f.text("format")) || root.path("version").asInt(-1) != VERSION) {
      throw new BadInputException(
          source
              + " has format '"
              + root.path("format").asText()
              + "' version "
              + root.path("version").asText()
              + "; this pipeplan reads "
              + FORMAT
              + " version "
              + VERSION);
    }
    List<Double> losses = new ArrayList<>();
    for (JsonNode n : f.array("losses")) {
      losses.add(loss(n, source + ": losses[" + losses.size() + "]"));
    }
    List<Timeline> iterations = new ArrayList<>();
    for (JsonNode n : f.array("iterations")) {
      iterations.add(TimelineJson.read(n, source + ": iterations[" + iterations.size() + "]"));
    }
    Timeline predicted = TimelineJson.read(f.field("predicted"), source + ": predicted");
    try {
      return new MeasuredRun(
          f.text("modelName"),
          f.text("scheduleName"),
          f.integer("pipelineDevices"),
          f.integer("virtualStages"),
          f.integer("microBatchCount"),
          f.integer("microBatchSize"),
          f.text("partition"),
          predicted,
          iterations,
          f.integer("representativeIteration"),
          losses,
          f.integer("warmupIterations"),
          f.text("backend"),
          f.text("machine"),
          f.text("threadSettings"),
          f.wholeNumber("seed"),
          root.has("actionCpuNanos") ? readCpu(f.array("actionCpuNanos"), source) : List.of(),
          root.has("noise") ? readNoise(f.field("noise"), source) : RunNoise.unknown(),
          root.has("provenance")
              ? readProvenance(f.field("provenance"), source)
              : Provenance.unrecorded(),
          root.has("sequenceLength") ? f.integer("sequenceLength") : 0);
    } catch (BadInputException e) {
      if (e.getMessage().startsWith(source)) {
        throw e;
      }
      throw new BadInputException(source + ": " + e.getMessage(), e);
    }
  }

  /** The words {@link #write(MeasuredRun)} writes for a loss that is not a finite number. */
  private static final List<String> NON_FINITE = List.of("NaN", "Infinity", "-Infinity");

  /** A loss: a JSON number, or one of {@link #NON_FINITE}, as the writer writes them. */
  private static double loss(JsonNode n, String where) {
    if (n.isNumber()) {
      return n.asDouble();
    }
    if (n.isTextual() && NON_FINITE.contains(n.asText())) {
      return Double.parseDouble(n.asText());
    }
    throw new BadInputException(
        where
            + " is "
            + n
            + ", expected a number (or \"NaN\", \"Infinity\" or \"-Infinity\" for a loss"
            + " that was not finite)");
  }

  private static List<List<Long>> readCpu(JsonNode array, String source) {
    List<List<Long>> out = new ArrayList<>();
    for (JsonNode row : array) {
      if (!row.isArray()) {
        throw new BadInputException(
            source + ": 'actionCpuNanos' must hold one array per iteration");
      }
      List<Long> values = new ArrayList<>();
      for (JsonNode n : row) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
          throw new BadInputException(
              source + ": 'actionCpuNanos' must hold non-negative integers, got " + n);
        }
        values.add(n.asLong());
      }
      out.add(values);
    }
    return out;
  }

  private static ObjectNode noiseNode(RunNoise noise) {
    ObjectNode n = Json.json().createObjectNode();
    n.put("cores", noise.cores());
    n.put("loadAverageBefore", noise.loadAverageBefore());
    n.put("loadAverageAfter", noise.loadAverageAfter());
    n.put("otherProcessCores", noise.otherProcessCores());
    n.put("stealFraction", noise.stealFraction());
    n.put("cpuTimeComparable", noise.cpuTimeComparable());
    ArrayNode workers = n.putArray("workers");
    for (RunNoise.WorkerTime w : noise.workers()) {
      ObjectNode wn = workers.addObject();
      wn.put("device", w.device());
      wn.put("busyWallNanos", w.busyWallNanos());
      wn.put("busyCpuNanos", w.busyCpuNanos());
    }
    if (!noise.iterationSlowdowns().isEmpty()) {
      ArrayNode slowdowns = n.putArray("iterationSlowdowns");
      noise.iterationSlowdowns().forEach(slowdowns::add);
      n.put("discardedIterations", noise.discardedIterations());
      n.put("probeMedianNanos", noise.probeMedianNanos());
    }
    if (!noise.iterationPaceSlowdowns().isEmpty()) {
      ArrayNode pace = n.putArray("iterationPaceSlowdowns");
      noise.iterationPaceSlowdowns().forEach(pace::add);
    }
    return n;
  }

  /** The optional {@code provenance} object: how the run's plan was made. */
  private static Provenance readProvenance(JsonNode node, String source) {
    Fields f = new Fields(node, source + ": provenance");
    return new Provenance(
        f.text("pipeplanVersion"),
        f.text("costSource"),
        f.text("searchOptions"),
        f.text("cluster"));
  }

  /** The optional {@code noise} object (absent in run files written before it was recorded). */
  private static RunNoise readNoise(JsonNode node, String source) {
    Fields f = new Fields(node, source + ": noise");
    List<RunNoise.WorkerTime> workers = new ArrayList<>();
    for (JsonNode w : f.array("workers")) {
      if (!w.isObject()) {
        throw new BadInputException(
            source
                + ": noise.workers["
                + workers.size()
                + "] must be an object with device, busyWallNanos and busyCpuNanos, got "
                + w.getNodeType());
      }
      Fields wf = new Fields(w, source + ": noise.workers[" + workers.size() + "]");
      workers.add(
          new RunNoise.WorkerTime(
              wf.integer("device"),
              wf.wholeNumber("busyWallNanos"),
              wf.wholeNumber("busyCpuNanos")));
    }
    List<Double> slowdowns = new ArrayList<>();
    if (node.has("iterationSlowdowns")) {
      for (JsonNode s : f.array("iterationSlowdowns")) {
        slowdowns.add(f.number(s, "iterationSlowdowns[" + slowdowns.size() + "]"));
      }
    }
    List<Double> pace = new ArrayList<>();
    if (node.has("iterationPaceSlowdowns")) {
      for (JsonNode s : f.array("iterationPaceSlowdowns")) {
        pace.add(f.number(s, "iterationPaceSlowdowns[" + pace.size() + "]"));
      }
    }
    int discarded = node.has("discardedIterations") ? f.integer("discardedIterations") : 0;
    long probe = node.has("probeMedianNanos") ? f.wholeNumber("probeMedianNanos") : 0;
    try {
      return new RunNoise(
          workers,
          f.integer("cores"),
          f.text("loadAverageBefore"),
          f.text("loadAverageAfter"),
          f.number("otherProcessCores"),
          f.number("stealFraction"),
          f.bool("cpuTimeComparable"),
          slowdowns,
          discarded,
          probe,
          pace);
    } catch (IllegalArgumentException e) {
      // read() puts the source in front.
      throw new BadInputException(e.getMessage());
    }
  }

  private static JsonNode timelineNode(Timeline timeline) {
    try {
      return Json.json().readTree(TimelineJson.write(timeline));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("timeline JSON did not parse back: " + e.getMessage(), e);
    }
  }

  /** The fields of one run object, with messages that name the file. */
  private record Fields(JsonNode root, String source) {
    JsonNode field(String name) {
      JsonNode n = root.get(name);
      if (n == null) {
        throw new BadInputException(source + " has no '" + name + "'");
      }
      if (n.isNull()) {
        throw new BadInputException(
            source
                + ": '"
                + name
                + "' is null; give it a value, or leave it out where it is optional");
      }
      return n;
    }

    String text(String name) {
      JsonNode n = field(name);
      if (!n.isTextual()) {
        throw new BadInputException(source + ": '" + name + "' must be a string, got " + n);
      }
      return n.asText();
    }

    int integer(String name) {
      JsonNode n = field(name);
      if (!n.isIntegralNumber() || !n.canConvertToInt()) {
        throw new BadInputException(source + ": '" + name + "' must be an integer, got " + n);
      }
      return n.asInt();
    }

    long wholeNumber(String name) {
      JsonNode n = field(name);
      if (!n.isIntegralNumber() || !n.canConvertToLong()) {
        throw new BadInputException(source + ": '" + name + "' must be an integer, got " + n);
      }
      return n.asLong();
    }

    double number(String name) {
      return number(field(name), name);
    }

    double number(JsonNode n, String name) {
      if (!n.isNumber()) {
        throw new BadInputException(source + ": '" + name + "' must be a number, got " + n);
      }
      return n.asDouble();
    }

    boolean bool(String name) {
      JsonNode n = field(name);
      if (!n.isBoolean()) {
        throw new BadInputException(source + ": '" + name + "' must be true or false, got " + n);
      }
      return n.asBoolean();
    }

    JsonNode array(String name) {
      JsonNode n = field(name);
      if (!n.isArray()) {
        throw new BadInputException(
            source + ": '" + name + "' must be an array, got " + n.getNodeType());
      }
      return n;
    }
  }
}
