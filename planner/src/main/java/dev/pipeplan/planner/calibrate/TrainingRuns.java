package dev.pipeplan.planner.calibrate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.Attention;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.CrossEntropy;
import dev.pipeplan.models.DType;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.models.GradientAccumulation;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.OptimizerSharding;
import dev.pipeplan.models.Recompute;
import dev.pipeplan.models.Suggestions;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.InputNode;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A file of measured training runs (see {@code docs/formats.md}, "Measured runs"): {@code runs},
 * each with the configuration as it ran and its measured seconds per iteration. A model or cluster
 * named by a relative path is looked up beside the file first.
 */
public final class TrainingRuns {
  /** At most this many runs: each is a planner search per fit step. */
  public static final int MAX_RUNS = 1_000;

  /**
   * The shortest measured iteration a run may give, in seconds: 1 µs, below the launch of a single
   * GPU kernel, so anything shorter is a unit mistake, not a measurement.
   */
  public static final double MIN_ITERATION_SECONDS = 1e-6;

  /**
   * The longest measured iteration a run may give, in seconds: a week, far beyond any published
   * training iteration (minutes at most), so anything longer is a unit mistake.
   */
  public static final double MAX_ITERATION_SECONDS = 7 * 24 * 3600.0;

  /**
   * A run's field under the name a plan file's {@code training} gives it (docs/formats.md, "Plan
   * JSON"), for the hint when a runs file uses the plan's name.
   *
   * @param runField the runs file's name
   * @param relation how the plan's field reads as the run's
   */
  private record PlanName(String runField, String relation) {}

  private static final Map<String, PlanName> PLAN_NAMES =
      Map.of(
          "fp8Linears", new PlanName("fp8", "the same true or false"),
          "fp8WeightCastsPerIteration",
              new PlanName("fp8WeightCasts", "true there is \"iteration\", false \"micro-batch\""),
          "tensorParallelOverlap", new PlanName("tpCommOverlap", "the same true or false"),
          "blockingSends",
              new PlanName("ppCommOverlap", "the other way round: true there is false"),
          "gradientSyncAfterBackward",
              new PlanName("dpCommOverlap", "the other way round: true there is false"),
          "gradientAllReduce",
              new PlanName(
                  "gradientReduce", "true there is \"all-reduce\", false \"reduce-scatter\""),
          "wholeHandOffs",
              new PlanName("ppScatterGather", "the other way round: true there is false"),
          "optimizerSharding", new PlanName("zero", "ZERO1 there is \"zero1\", and so on"));

  /** The words after "got 'x'" for a quoted number: JSON numbers carry no quotes. */
  private static final String QUOTED_NUMBER = " (a string: write the number without quotes)";

  /** The words after "got 'x'" for a quoted boolean. */
  private static final String QUOTED_BOOLEAN = " (a string: write true or false without quotes)";

  private static final List<String> TOP_FIELDS = List.of("description", "runs");
  private static final List<String> RUN_FIELDS =
      List.of(
          "id",
          "source",
          "published",
          "model",
          "cluster",
          "tp",
          "cp",
          "pp",
          "microBatchSize",
          "globalBatch",
          "sequenceLength",
          "schedule",
          "virtualStages",
          "stageBlocks",
          "dtype",
          "recompute",
          "attention",
          "zero",
          "sequenceParallel",
          "tpCommOverlap",
          "ppCommOverlap",
          "ppScatterGather",
          "dpCommOverlap",
          "gradientReduce",
          "gradientAccumulation",
          "crossEntropy",
          "fp8",
          "fp8WeightCasts",
          "iterationSeconds");

  private TrainingRuns() {}

  /**
   * A run's {@code fp8WeightCasts}: "iteration" (the default: Transformer Engine's cache) or
   * "micro-batch" (torchao's Float8 linears); given without {@code fp8} true it is refused.
   */
  private static boolean fp8WeightCastsPerIteration(InputNode n) {
    Optional<String> casts = n.optionalString("fp8WeightCasts");
    if (casts.isEmpty()) {
      return true;
    }
    if (!flag(n, "fp8", false)) {
      throw n.error(
          "fp8WeightCasts", "is given, but fp8 is not true: without FP8 linears no weight is cast");
    }
    return parsed(
        n, "fp8WeightCasts", () -> TrainingSpec.parseFp8WeightCasts("fp8WeightCasts", casts.get()));
  }

  /** Reads and checks every run; a bad field names the run and the field. */
  public static List<TrainingRun> read(Path file) {
    InputNode root = InputNode.read(file);
    if (!root.isObject()) {
      throw root.error("must be an object with 'runs'");
    }
    reject(root, TOP_FIELDS, Map.of());
    List<InputNode> nodes = root.array("runs");
    if (nodes.isEmpty()) {
      throw root.error("runs", "is empty; give at least one measured run");
    }
    if (nodes.size() > MAX_RUNS) {
      throw root.error("runs", "has " + nodes.size() + " runs; at most " + MAX_RUNS);
    }
    Path folder = file.toAbsolutePath().getParent();
    List<TrainingRun> runs = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (InputNode n : nodes) {
      TrainingRun run = run(n, folder);
      if (!ids.add(run.id())) {
        throw n.error("id", "'" + run.id() + "' is used by two runs; ids must be unique");
      }
      runs.add(run);
    }
    return List.copyOf(runs);
  }

  /**
   * The model and cluster files the runs of {@code file} name, as {@link #read} finds them (beside
   * the file first), keyed by the field ("runs[0].cluster"), in order; zoo names and presets have
   * none. Call it after {@link #read}, which reports a malformed file.
   */
  public static Map<String, Path> inputFiles(Path file) {
    InputNode root = InputNode.read(file);
    Path folder = file.toAbsolutePath().getParent();
    Map<String, Path> files = new LinkedHashMap<>();
    List<InputNode> nodes = root.array("runs");
    for (int i = 0; i < nodes.size(); i++) {
      InputNode n = nodes.get(i);
      String at = "runs[" + i + "].";
      n.optionalString("model")
          .flatMap(name -> ModelLoader.inputFile(beside(folder, name)))
          .ifPresent(p -> files.put(at + "model", p));
      n.optionalString("cluster")
          .flatMap(name -> Clusters.inputFile(beside(folder, name)))
          .ifPresent(p -> files.put(at + "cluster", p));
    }
    return Collections.unmodifiableMap(files);
  }

  private static TrainingRun run(InputNode n, Path folder) {
    if (!n.isObject()) {
      throw n.error("must be an object");
    }
    reject(n, RUN_FIELDS, PLAN_NAMES);
    String id = n.string("id");
    int seq = positive(n, "sequenceLength");
    // the names are read outside parsed(): a missing one is already an error with the run's path
    String modelName = n.string("model");
    String clusterName = n.string("cluster");
    ModelSpec model = parsed(n, "model", () -> ModelLoader.load(beside(folder, modelName), seq));
    ClusterSpec cluster = parsed(n, "cluster", () -> Clusters.load(beside(folder, clusterName)));
    DType dtype =
        parsed(n, "dtype", () -> DType.parse("dtype", n.optionalString("dtype").orElse("bf16")));
    Recompute recompute =
        parsed(
            n,
            "recompute",
            () -> Recompute.parse("recompute", n.optionalString("recompute").orElse("none")));
    Attention attention =
        parsed(
            n,
            "attention",
            () -> Attention.parse("attention", n.optionalString("attention").orElse("flash")));
    OptimizerSharding zero =
        parsed(
            n, "zero", () -> OptimizerSharding.parse("zero", n.optionalString("zero").orElse("1")));
    TrainingSpec training =
        new TrainingSpec(
            positive(n, "globalBatch"),
            seq,
            dtype,
            Optimizer.adamMixedPrecision(),
            recompute,
            attention,
            zero,
            flag(n, "sequenceParallel", true),
            flag(n, "tpCommOverlap", false),
            !flag(n, "ppCommOverlap", true),
            !flag(n, "dpCommOverlap", true),
            parsed(n, "gradientReduce", () -> allReduce(n.optionalString("gradientReduce"))),
            parsed(
                n,
                "gradientAccumulation",
                () ->
                    GradientAccumulation.parse(
                        "gradientAccumulation",
                        n.optionalString("gradientAccumulation").orElse("fused"))),
            parsed(
                n,
                "crossEntropy",
                () ->
                    CrossEntropy.parse(
                        "crossEntropy", n.optionalString("crossEntropy").orElse("unfused"))),
            flag(n, "fp8", false),
            !flag(n, "ppScatterGather", false),
            fp8WeightCastsPerIteration(n));
    if (training.fp8Linears()) {
      for (DeviceGroup group : cluster.groups()) {
        if (!group.device().sustainedFlopsPerSecond().containsKey(DType.FP8)) {
          throw n.error(
              "fp8", "is true, but device '" + group.device().name() + "' has no FP8 rate");
        }
      }
      if (dtype.bytes() != 2) {
        throw n.error("fp8", "is true, but the dtype is " + dtype.id() + ", not a 16-bit one");
      }
    }
    int tp = positive(n, "tp");
    int pp = positive(n, "pp");
    int cp = n.has("cp") ? positive(n, "cp") : 1;
    long perReplica = (long) tp * pp * cp;
    if (perReplica > cluster.deviceCount() || cluster.deviceCount() % perReplica != 0) {
      throw n.error(
          "cluster",
          "has "
              + cluster.deviceCount()
              + " devices, which "
              + (cp > 1 ? "tp × pp × cp = " : "tp × pp = ")
              + perReplica
              + " does not divide");
    }
    String scheduleText = n.optionalString("schedule").orElse("1f1b");
    List<ScheduleKind> kinds = parsed(n, "schedule", () -> kinds(scheduleText));
    OptionalInt v =
        n.has("virtualStages") ? OptionalInt.of(positive(n, "virtualStages")) : OptionalInt.empty();
    Optional<StageBlocks> blocks =
        n.optionalString("stageBlocks").isEmpty()
            ? Optional.empty()
            : Optional.of(
                parsed(n, "stageBlocks", () -> StageBlocks.parse(n.string("stageBlocks"))));
    if (v.isPresent()) {
      int given = v.getAsInt();
      // A run that lists the kinds its engine offers holds its published v for those that take it.
      if (kinds.stream().noneMatch(k -> k.acceptsVirtualStages(given))) {
        throw n.error(
            "virtualStages",
            "("
                + given
                + ") is taken by none of the run's schedule kinds ("
                + scheduleText
                + "): "
                + kinds.stream()
                    .map(k -> k.id() + " takes " + takes(k))
                    .collect(Collectors.joining(", ")));
      }
      if (blocks.isPresent()) {
        // the search would skip every candidate of an unsplittable p·v and find none
        parsed(n, "stageBlocks", () -> blocks.get().partition(model, pp * given));
      }
    }
    double seconds = iterationSeconds(n);
    return new TrainingRun(
        id,
        n.optionalString("source").orElse(""),
        n.optionalString("published").orElse(""),
        model,
        training,
        cluster,
        tp,
        pp,
        n.has("microBatchSize")
            ? OptionalInt.of(positive(n, "microBatchSize"))
            : OptionalInt.empty(),
        kinds,
        v,
        blocks,
        seconds,
        cp);
  }

  /** The virtual-stage counts a kind takes, as a message says them ("v = 1", "v >= 2"). */
  private static String takes(ScheduleKind kind) {
    return kind.minVirtualStages() == kind.maxVirtualStages()
        ? "v = " + kind.minVirtualStages()
        : kind.maxVirtualStages() == Integer.MAX_VALUE
            ? "v >= " + kind.minVirtualStages()
            : "v in " + kind.minVirtualStages() + ".." + kind.maxVirtualStages();
  }

  /** "reduce-scatter" (the default) or "all-reduce". */
  private static boolean allReduce(Optional<String> text) {
    if (text.isEmpty() || text.get().equals("reduce-scatter")) {
      return false;
    }
    if (text.get().equals("all-reduce")) {
      return true;
    }
    throw new BadInputException(
        "'" + text.get() + "' is not a gradient reduction; use reduce-scatter or all-reduce");
  }

  /** "1f1b" or a comma-separated list of the kinds the run's engine offers ("1f1b,interleaved"). */
  private static List<ScheduleKind> kinds(String text) {
    List<ScheduleKind> kinds = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      if (part.isBlank()) {
        throw new BadInputException(
            "'"
                + text
                + "' has an empty kind; list kinds separated by commas, e.g. 1f1b,interleaved");
      }
      ScheduleKind kind = ScheduleKind.parse(part.trim());
      if (kinds.contains(kind)) {
        throw new BadInputException("'" + text + "' names " + kind.id() + " twice");
      }
      kinds.add(kind);
    }
    return kinds;
  }

  /** A relative path that names a file beside the runs file, else the text as given. */
  private static String beside(Path folder, String text) {
    if (folder != null && !text.isBlank()) {
      String path = text;
      String suffix = "";
      int colon = text.lastIndexOf(':');
      if (colon > 0
          && !Files.exists(Path.of(text))
          && text.substring(colon).matches(":\\d+x\\d+")) {
        path = text.substring(0, colon);
        suffix = text.substring(colon);
      }
      try {
        Path p = Path.of(path);
        if (!p.isAbsolute() && Files.exists(folder.resolve(p))) {
          return folder.resolve(p) + suffix;
        }
      } catch (java.nio.file.InvalidPathException e) {
        return text;
      }
    }
    return text;
  }

  /**
   * A whole number from 1 to {@link Integer#MAX_VALUE}, written as a JSON number: every message
   * states that rule, whether the value is 0, -4, 2.5, 1e18 or the string "2".
   */
  private static int positive(InputNode n, String field) {
    JsonNode v = value(n, field);
    String rule = "must be a whole number between 1 and " + Integer.MAX_VALUE;
    if (!v.isNumber()) {
      throw n.error(field, rule + ", got " + shown(v, QUOTED_NUMBER));
    }
    if (v.isFloatingPointNumber() && !Double.isFinite(v.doubleValue())) {
      throw n.error(field, rule + ", got " + v);
    }
    BigDecimal d = v.decimalValue();
    boolean whole = d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
    if (!whole
        || d.compareTo(BigDecimal.ONE) < 0
        || d.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0) {
      throw n.error(field, rule + ", got " + v);
    }
    return d.intValueExact();
  }

  /**
   * The measured seconds per iteration, a JSON number from {@link #MIN_ITERATION_SECONDS} to {@link
   * #MAX_ITERATION_SECONDS}: outside them it is a unit mistake, and the fit and the table would
   * carry it as a 300-digit number.
   */
  private static double iterationSeconds(InputNode n) {
    String field = "iterationSeconds";
    JsonNode v = value(n, field);
    String rule =
        "must be a number of seconds between "
            + plain(MIN_ITERATION_SECONDS)
            + " (1 µs) and "
            + plain(MAX_ITERATION_SECONDS)
            + " (a week)";
    String why =
        ". A measured training iteration lies between them; maybe the time is not in seconds";
    if (!v.isNumber()) {
      throw n.error(field, rule + ", got " + shown(v, QUOTED_NUMBER));
    }
    double seconds = v.doubleValue();
    if (!(seconds >= MIN_ITERATION_SECONDS && seconds <= MAX_ITERATION_SECONDS)) {
      throw n.error(field, rule + ", got " + v + (seconds > 0 ? why : ""));
    }
    return seconds;
  }

  /** A JSON boolean, {@code absent} when the field is absent or null. */
  private static boolean flag(InputNode n, String field, boolean absent) {
    Optional<InputNode> c = n.child(field);
    if (c.isEmpty()) {
      return absent;
    }
    JsonNode v = c.get().json();
    if (!v.isBoolean()) {
      throw n.error(field, "must be true or false, got " + shown(v, QUOTED_BOOLEAN));
    }
    return v.booleanValue();
  }

  private static JsonNode value(InputNode n, String field) {
    return n.child(field).orElseThrow(() -> n.error(field, "is missing")).json();
  }

  /** A value as a message quotes it; a string gets {@code quoted} after it. */
  private static String shown(JsonNode v, String quoted) {
    if (v.isTextual()) {
      return "'" + v.asText() + "'" + quoted;
    }
    if (v.isObject()) {
      return "an object";
    }
    if (v.isArray()) {
      return "a list";
    }
    return v.toString();
  }

  private static String plain(double value) {
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  private static <T> T parsed(InputNode n, String field, Supplier<T> parse) {
    try {
      return parse.get();
    } catch (BadInputException e) {
      // The parsers name the field themselves ("attention 'x' is not an attention"); the error
      // names it with the run's path.
      String message = e.getMessage();
      throw n.error(
          field, message.startsWith(field + " ") ? message.substring(field.length() + 1) : message);
    }
  }

  private static void reject(InputNode node, List<String> known, Map<String, PlanName> planNames) {
    for (String field : node.fieldNames()) {
      if (!known.contains(field)) {
        throw node.error(field, "is not a known field." + suggestion(field, known, planNames));
      }
    }
  }

  /**
   * " Maybe you meant 'x'?" for an unknown field: the run's name for a plan file's field; else a
   * typo's closest known name (two edits at most); else, for three letters or more, the one known
   * name that starts with it ({@code micro}: microBatchSize, not zero); else the longest known name
   * it starts with ({@code fp8Linears}: fp8); else the closest known name, as other files suggest.
   */
  private static String suggestion(
      String field, List<String> known, Map<String, PlanName> planNames) {
    PlanName plan = planNames.get(field);
    if (plan != null) {
      return " Maybe you meant '"
          + plan.runField()
          + "'? It is a plan file's training."
          + field
          + " ("
          + plan.relation()
          + ").";
    }
    String lower = field.toLowerCase(Locale.ROOT);
    Optional<String> closest = Suggestions.closest(field, known);
    Optional<String> typo =
        closest.filter(c -> Suggestions.distance(lower, c.toLowerCase(Locale.ROOT)) <= 2);
    List<String> longer =
        known.stream().filter(k -> k.toLowerCase(Locale.ROOT).startsWith(lower)).toList();
    Optional<String> shorter =
        known.stream()
            .filter(k -> lower.startsWith(k.toLowerCase(Locale.ROOT)))
            .max((a, b) -> Integer.compare(a.length(), b.length()));
    Optional<String> guess =
        typo.or(
                () ->
                    lower.length() >= 3 && longer.size() == 1
                        ? Optional.of(longer.get(0))
                        : Optional.empty())
            .or(() -> shorter)
            .or(() -> closest);
    return guess.map(g -> " Maybe you meant '" + g + "'?").orElse("");
  }
}
