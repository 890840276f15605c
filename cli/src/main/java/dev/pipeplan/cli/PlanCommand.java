package dev.pipeplan.cli;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Optimizer;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.DtypeOrigin;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.models.io.ProfileJson;
import dev.pipeplan.planner.ModelFlops;
import dev.pipeplan.planner.Parallelism;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanJson;
import dev.pipeplan.planner.PlanSummary;
import dev.pipeplan.planner.search.Baselines;
import dev.pipeplan.planner.search.CandidateEvaluator;
import dev.pipeplan.planner.search.Evaluation;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressBar;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.planner.search.SearchResult;
import dev.pipeplan.planner.search.WinnerNotes;
import dev.pipeplan.reports.chart.ByteUnit;
import dev.pipeplan.reports.summary.Throughput;
import dev.pipeplan.simulator.cost.MeasuredCostModel;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.WorkLimits;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pipeplan plan}: search for the fastest plan that fits and write it. */
@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    description = {
      "Search pipeline, data and tensor-parallel degrees, micro-batch size and count, schedule kind and virtual",
      "stages for the fastest iteration that fits in memory; print the ranked candidates and write the plan.",
      "With --pp and --microbatches fixed it searches only the partition and the schedule.",
      "Limits (refused at once; see docs/design.md): --global-batch <= "
          + WorkLimits.MAX_GLOBAL_BATCH
          + ", --seq <= "
          + WorkLimits.MAX_SEQUENCE_LENGTH
          + ", --pp <= "
          + WorkLimits.MAX_PIPELINE_DEVICES
          + ", --microbatches <= "
          + WorkLimits.MAX_MICRO_BATCHES
          + ", at most "
          + WorkLimits.MAX_SEARCH_CANDIDATES
          + " candidates;",
      "candidates of more than "
          + WorkLimits.MAX_ACTIONS
          + " actions (pp x v x m x 2 or 3) are not simulated."
    },
    sortOptions = false)
final class PlanCommand implements Callable<Integer> {
  private static final double GIB = 1024.0 * 1024.0 * 1024.0;
  private static final Pattern SIZE =
      Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?(?:e[0-9]+)?)\\s*([kmgt]i?b?|b)?\\s*");
  private static final int PARTITION_WIDTH = 28;

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "NAME|FILE",
      description = "Zoo model name or model file.")
  String model;

  @Option(
      names = "--cluster",
      required = true,
      paramLabel = "NAME|FILE|SHORTHAND",
      description = "Cluster preset, file, or DEVICE:NODESxPER_NODE (h100:128x8).")
  String cluster;

  @Option(
      names = "--global-batch",
      required = true,
      paramLabel = "G",
      description = "Samples per optimizer step.")
  int globalBatch;

  @Option(
      names = "--seq",
      paramLabel = "S",
      description = "Sequence length (default: the model's).")
  Integer seq;

  @Option(
      names = "--pp",
      paramLabel = "P",
      defaultValue = "0",
      description = "Fix the pipeline degree (default 0: search it).")
  int pp;

  @Option(
      names = "--tp",
      paramLabel = "T",
      defaultValue = "0",
      description = "Fix the tensor-parallel degree (default 0: search it).")
  int tp;

  @Option(
      names = "--cp",
      paramLabel = "C",
      defaultValue = "1",
      description =
          "Context-parallel degree (default 1: none): split every sequence over C devices, each"
              + " holding S/C tokens and passing keys and values round a ring in attention"
              + " (Megatron's --context-parallel-size). For long sequences; S must be a multiple"
              + " of 2 x C. 'auto' searches 1 and the powers of two that fit.")
  String cp;

  @Option(
      names = "--microbatches",
      paramLabel = "M",
      defaultValue = "0",
      description =
          "Fix the micro-batches per replica (default 0: search it); global batch = dp x m x b.")
  int microbatches;

  @Option(
      names = "--microbatch-size",
      paramLabel = "B",
      defaultValue = "0",
      description = "Fix the micro-batch size (default 0: search it).")
  int microBatchSize;

  @Option(
      names = "--schedules",
      paramLabel = "k1,k2",
      split = ",",
      description =
          "Schedule kinds to try, of gpipe, 1f1b, interleaved, looped-bfs, zb-h1, zb-h2, zb-auto,"
              + " zb-v, v-half, v-min, dualpipev (default: every kind).")
  List<String> schedules;

  @Option(
      names = "--virtual-stages",
      paramLabel = "V",
      defaultValue = "0",
      description =
          "Fix the virtual stages (chunks) per device for the kinds that take them (default 0:"
              + " search it); kinds that do not are left out, or refused when listed in --schedules.")
  int virtualStages;

  @Option(
      names = "--memory-limit",
      paramLabel = "SIZE",
      description =
          "Memory per device with its unit, e.g. 70GiB or 80GB; replaces the device's usable"
              + " memory, lower or higher (default: the device's usable memory).")
  String memoryLimit;

  @Mixin DtypeOption dtypeOption;

  @Mixin MemoryOptions memoryOptions;

  @Mixin PartitionUnitOption partitionUnit;

  @Option(
      names = "--optimizer",
      paramLabel = "NAME",
      description =
          "adam-mixed (the default for 16-bit models: 16-bit weights with an fp32 master copy,"
              + " momentum and variance), adam-fp32 (the default for fp32 and tf32 models, whose"
              + " weights are already fp32) or sgd.")
  String optimizer;

  @Option(
      names = "--top",
      paramLabel = "K",
      defaultValue = "5",
      description = "Ranked candidates to keep and print (default: 5).")
  int top;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Threads that evaluate candidates (default 0: the available processors, at most "
              + SearchOptions.MAX_THREADS
              + "); the plan is the same for any count.")
  int threads;

  @Option(
      names = "--compare-baselines",
      description =
          "Also simulate Megatron's, DeepSpeed's and torchgpipe's partitions of the winner.")
  boolean compareBaselines;

  @Option(
      names = "--profile",
      paramLabel = "FILE",
      description =
          "Measured per-layer profile to cost with (from 'pipeplan profile'), measured on the"
              + " cluster's kind of device: a CPU profile for a GPU cluster, or the reverse, draws a"
              + " warning.")
  Path profile;

  @Option(
      names = "--optimizer-post-validation",
      description =
          "Price the kinds the Zero Bubble code post-validates (zb-h1, zb-h2, zb-auto, zb-v, v-half,"
              + " v-min) with the optimizer step post-validated, as its --enable-optimizer-post-validation"
              + " runs them: iterations back to back, each device stepping after its own last action;"
              + " the iteration time is the steady-state period (zb-auto, v-half and v-min order for it)."
              + " Other kinds stay synchronous. Recorded in the plan file. Off by default.")
  boolean optimizerPostValidation;

  @Option(names = "--json", description = "Print the plan as JSON instead of the table.")
  boolean json;

  @Option(names = "--quiet", description = "No progress bar.")
  boolean quiet;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "Write the plan here (e.g. plan.json).")
  Path output;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (globalBatch <= 0) {
      throw new BadInputException("--global-batch must be > 0, got " + globalBatch);
    }
    if (top <= 0) {
      throw new BadInputException("--top must be > 0, got " + top);
    }
    if (threads < 0 || threads > SearchOptions.MAX_THREADS) {
      throw new BadInputException(
          "--threads must be between 0 (the available processors) and "
              + SearchOptions.MAX_THREADS
              + ", got "
              + threads);
    }
    requireSearchOrPositive("--pp", pp);
    requireSearchOrPositive("--tp", tp);
    int contextParallel = contextParallelOption(cp);
    requireSearchOrPositive("--microbatches", microbatches);
    requireSearchOrPositive("--microbatch-size", microBatchSize);
    requireSearchOrPositive("--virtual-stages", virtualStages);
    WorkLimits.checkGlobalBatch(globalBatch);
    WorkLimits.sequenceLengthOption(seq);
    WorkLimits.checkPipelineDevices(pp);
    WorkLimits.checkMicroBatches(microbatches);
    OutputTarget target =
        output == null
            ? null
            : OutputTarget.file("-o", output, "plan.json")
                .notInput("--profile", profile)
                .notModelInput("--model", model)
                .notClusterInput("--cluster", cluster);
    ModelSpec m =
        ModelLoader.load(model, WorkLimits.sequenceLengthOption(seq), 0, dtypeOption.dtype());
    DtypeOption.requireModelled(m);
    ClusterSpec c = Clusters.load(cluster);
    TrainingSpec training =
        new TrainingSpec(
            globalBatch,
            m.sequenceLength(),
            m.dtype(),
            optimizer == null ? Optimizer.defaultFor(m.dtype()) : Optimizer.parse(optimizer),
            false);
    training = memoryOptions.apply(training, tp);
    m = partitionUnit.apply(m, training, c, profile != null);
    Profile measured = profile == null ? null : ProfileJson.read(profile);
    if (measured != null) {
      MeasuredCostModel.requireFits(m, measured, "--profile " + profile);
      Warnings.profileHardware(err, measured, profile.toString(), c);
    }
    MemoryOptions.requireFp8Priced(
        m, training, c, measured != null ? "the profile" : m.fullyMeasured() ? "the model" : null);
    if (measured != null || m.fullyMeasured()) {
      Warnings.memoryOnlyModes(err, training, measured != null ? "the profile" : "the model");
    }
    long limitBytes = memoryLimit == null ? 0 : parseBytes("--memory-limit", memoryLimit);
    warnAboveDeviceMemory(err, limitBytes, c);
    // On the command line 0 means "search it" (the options' documented defaults).
    SearchOptions options = SearchOptions.defaults().withKinds(kinds()).withTop(top);
    if (pp != 0) {
      options = options.withPp(pp);
    }
    if (tp != 0) {
      options = options.withTp(tp);
    }
    options = options.withContextParallel(contextParallel);
    if (microbatches != 0) {
      options = options.withMicroBatches(microbatches);
    }
    if (microBatchSize != 0) {
      options = options.withMicroBatchSize(microBatchSize);
    }
    if (virtualStages != 0) {
      options = options.withVirtualStages(virtualStages);
    }
    if (limitBytes != 0) {
      options = options.withMemoryLimitBytes(limitBytes);
    }
    if (threads != 0) {
      options = options.withThreads(threads);
    }
    if (measured != null) {
      options = options.withProfile(measured);
    }
    if (optimizerPostValidation) {
      options = options.withOptimizerPostValidation(true);
    }
    SearchResult result =
        Planner.search(m, training, c, options, ProgressBar.forTerminal(err, quiet || json));
    DtypeOrigin dtypeOrigin = DtypeOrigin.of(model, dtypeOption.dtype());
    Warnings.checkpointDtype(err, m, dtypeOrigin, c);
    Warnings.noRateForDtype(err, m.dtype(), c);
    Plan plan = PlanBuilder.fromSearch(result);
    if (output != null) {
      PlanJson.write(plan, output);
    }
    List<String> notes = WinnerNotes.of(result);
    if (json) {
      out.print(PlanJson.write(plan));
      out.flush();
      notes.forEach(err::println);
      if (output != null) {
        target.announceCreated(err);
        err.println("wrote " + output);
      }
      return Main.EXIT_OK;
    }
    printTable(out, "Ranked plans", plan.runnersUp(), options);
    out.println();
    out.println(plan.reason());
    out.println(
        "Memory: "
            + plan.training()
                .describeMemoryModes(
                    plan.parallelism().dp(), plan.parallelism().tp(), plan.parallelism().cp())
            + ".");
    out.println(
        "Training dtype: "
            + Warnings.trainingDtype(m, dtypeOrigin)
            + ", optimizer "
            + plan.training().optimizer().name()
            + ".");
    if (optimizerPostValidation) {
      out.println(postValidationAssumption(options));
    }
    partitionUnit.describe(plan.model()).ifPresent(out::println);
    notes.forEach(out::println);
    if (plan.pareto().size() > 1) {
      out.println();
      printTable(out, "Pareto set (time vs peak memory)", plan.pareto(), options);
    }
    if (compareBaselines) {
      out.println();
      printBaselines(out, result);
    }
    out.println();
    out.println(plan.search().summary() + ".");
    if (result.best().postValidated().isPresent()) {
      out.printf(
          Locale.ROOT,
          "Predicted: %.2f ms per iteration (steady-state period with the optimizer step"
              + " post-validated, bubble %.2f%%; one synchronous iteration: pipeline %.2f,"
              + " all-reduce %.2f, optimizer %.2f, %.2f in all), %s, %s.%n",
          plan.predicted().iterationNanos() / 1e6,
          result.best().postValidated().get().bubbleRatio() * 100,
          plan.predicted().pipelineNanos() / 1e6,
          plan.predicted().dataParallelSyncNanos() / 1e6,
          plan.predicted().optimizerStepNanos() / 1e6,
          result.best().synchronousIterationNanos() / 1e6,
          Throughput.samplesPerSecond(plan.predicted().throughputSamplesPerSecond()),
          peakSummary(result));
    } else {
      out.printf(
          Locale.ROOT,
          "Predicted: %.2f ms per iteration (pipeline %.2f, all-reduce %.2f, optimizer %.2f),"
              + " %s, %s.%n",
          plan.predicted().iterationNanos() / 1e6,
          plan.predicted().pipelineNanos() / 1e6,
          plan.predicted().dataParallelSyncNanos() / 1e6,
          plan.predicted().optimizerStepNanos() / 1e6,
          Throughput.samplesPerSecond(plan.predicted().throughputSamplesPerSecond()),
          peakSummary(result));
    }
    ModelFlops flops =
        ModelFlops.of(
            m, globalBatch, c, plan.training().dtype(), plan.predicted().iterationNanos());
    out.println(
        "Model FLOPs: "
            + flops.describe(plan.training())
            + (flops.known()
                ? " (3 x the forward's FLOPs over the global batch, recomputation not counted)."
                : "."));
    printPeaksPerDevice(out, result);
    Warnings.contextParallelEager(err, plan.training(), plan.parallelism().cp());
    Warnings.fewMicroBatches(
        err,
        Optional.of(plan.kind()),
        plan.virtualStages(),
        plan.parallelism().pp(),
        plan.microBatchCount(),
        WorkLimits.maxMicroBatches(plan.kind(), plan.parallelism().pp(), plan.virtualStages()),
        microbatches == 0 || pp == 0,
        globalBatch / plan.parallelism().dp() < plan.parallelism().pp()
            ? Optional.of(
                "Maybe use --global-batch "
                    + (long) plan.parallelism().pp() * plan.parallelism().dp()
                    + " or more ("
                    + (plan.parallelism().dp() == 1
                        ? "the one replica gets "
                        : "each of the " + plan.parallelism().dp() + " replicas gets ")
                    + globalBatch / plan.parallelism().dp()
                    + (globalBatch / plan.parallelism().dp() == 1 ? " sample" : " samples")
                    + ", fewer than pp), or a smaller --pp.")
            : microbatches == 0
                // m was searched and the batch allowed pp or more: more was slower, not missed
                ? Optional.of(
                    "The search chose it over every plan with "
                        + plan.parallelism().pp()
                        + " or more micro-batches, whose smaller micro-batches ran slower here;"
                        + " --microbatches "
                        + plan.parallelism().pp()
                        + " forces more.")
                : Optional.empty());
    if (output != null) {
      target.announceCreated(out);
      out.println("wrote " + output);
    } else {
      out.println(
          "The plan was not saved; add -o plan.json to keep it for report, run and export.");
    }
    out.flush();
    return Main.EXIT_OK;
  }

  /**
   * A limit above a device's own memory is allowed (the preset may be conservative, or the user's
   * devices larger), but plans made with it may not fit the devices the cluster describes: warn.
   */
  static void warnAboveDeviceMemory(PrintWriter err, long limitBytes, ClusterSpec cluster) {
    long largest = 0;
    String name = "";
    for (int d = 0; d < cluster.deviceCount(); d++) {
      if (cluster.device(d).memoryBytes() > largest) {
        largest = cluster.device(d).memoryBytes();
        name = cluster.device(d).name();
      }
    }
    if (limitBytes > largest) {
      err.printf(
          Locale.ROOT,
          "warning: --memory-limit %.2f GiB is above the %.2f GiB of usable memory of the"
              + " cluster's largest device (%s); the plan may not fit on those devices.%n",
          limitBytes / GIB,
          largest / GIB,
          name);
      err.flush();
    }
  }

  /** plan's --cp: a degree, or "auto" (0: search it). */
  static int contextParallelOption(String value) {
    return contextParallelOption(value, true);
  }

  /**
   * --cp: a degree from 1 to the most devices a cluster may have ({@link Clusters#MAX_DEVICES}), or
   * "auto" (0: search it) where the command searches ({@code plan}); {@code simulate} prices one
   * given degree and refuses "auto".
   */
  static int contextParallelOption(String value, boolean autoSearches) {
    String text = value.trim();
    String range =
        "a whole number from 1 to "
            + Clusters.MAX_DEVICES
            + " (the most devices of a cluster; 1: no context parallelism)";
    if (text.equalsIgnoreCase("auto")) {
      if (autoSearches) {
        return 0;
      }
      throw new BadInputException(
          "--cp auto searches the context-parallel degree, which only 'pipeplan plan --cp auto'"
              + " does; simulate prices one given degree. Maybe use --cp with "
              + range
              + ".");
    }
    try {
      long cp = Long.parseLong(text);
      if (cp >= 1 && cp <= Clusters.MAX_DEVICES) {
        return (int) cp;
      }
    } catch (NumberFormatException e) {
      // refused below, with the rest
    }
    throw new BadInputException(
        "--cp must be " + range + (autoSearches ? " or 'auto'" : "") + ", got '" + value + "'");
  }

  private static void requireSearchOrPositive(String option, int value) {
    if (value < 0) {
      throw new BadInputException(
          option + " must be > 0 (or 0, the default, to search it), got " + value + ".");
    }
  }

  /**
   * "peak 32.30 GiB of 78.00 GiB" when every pipeline device has the same limit; with devices of
   * different limits (a heterogeneous cluster), the tightest device's (the highest share of its
   * limit) peak against its own limit.
   */
  static String peakSummary(SearchResult result) {
    Evaluation best = result.best();
    Parallelism par = best.candidate().parallelism();
    CandidateEvaluator evaluator = result.evaluator();
    DeviceMetrics tightest = null;
    long tightestLimit = 0;
    boolean sameLimits = true;
    long firstLimit = evaluator.memoryLimit(par, 0);
    for (DeviceMetrics d : best.pipeline().devices()) {
      long limit = evaluator.memoryLimit(par, d.device());
      sameLimits &= limit == firstLimit;
      if (tightest == null
          || (double) d.peakMemoryBytes() / limit
              > (double) tightest.peakMemoryBytes() / tightestLimit) {
        tightest = d;
        tightestLimit = limit;
      }
    }
    if (sameLimits) {
      return "peak "
          + peakBytes(best.peakMemoryBytes())
          + String.format(Locale.ROOT, " of %.2f GiB", firstLimit / GIB);
    }
    return String.format(
        Locale.ROOT,
        "tightest pipeline device %d (%s): peak %s of its %.2f GiB (%.0f%%)",
        tightest.device(),
        deviceName(evaluator, par, tightest.device()),
        peakBytes(tightest.peakMemoryBytes()),
        tightestLimit / GIB,
        100.0 * tightest.peakMemoryBytes() / tightestLimit);
  }

  /**
   * One line of each pipeline device's peak against its own limit, when the limits differ; else
   * nothing (the summary line says it).
   */
  static void printPeaksPerDevice(PrintWriter out, SearchResult result) {
    Evaluation best = result.best();
    Parallelism par = best.candidate().parallelism();
    CandidateEvaluator evaluator = result.evaluator();
    StringBuilder line = new StringBuilder("Peak memory per pipeline device (of its own limit):");
    boolean sameLimits = true;
    long firstLimit = evaluator.memoryLimit(par, 0);
    for (DeviceMetrics d : best.pipeline().devices()) {
      long limit = evaluator.memoryLimit(par, d.device());
      sameLimits &= limit == firstLimit;
      line.append(d.device() == 0 ? " " : ", ")
          .append(
              String.format(
                  Locale.ROOT,
                  "%d %s %.2f of %.2f GiB",
                  d.device(),
                  deviceName(evaluator, par, d.device()),
                  d.peakMemoryBytes() / GIB,
                  limit / GIB));
    }
    if (!sameLimits) {
      out.println(line.append('.'));
    }
  }

  private static String deviceName(
      CandidateEvaluator evaluator, Parallelism par, int pipelineDevice) {
    return evaluator.cluster().device(evaluator.clusterDevice(par, pipelineDevice)).name();
  }

  private List<ScheduleKind> kinds() {
    List<ScheduleKind> out = new ArrayList<>();
    if (schedules != null) {
      // picocli's split drops a trailing empty item ('1f1b,'), the same slip as '1f1b,,gpipe'
      picocli.CommandLine.Model.OptionSpec option =
          spec.commandLine().getParseResult().matchedOption("--schedules");
      List<String> given = option == null ? List.of() : option.originalStringValues();
      boolean trailing = given.stream().anyMatch(v -> v.strip().endsWith(","));
      for (String s : schedules) {
        if (trailing || s.isBlank()) {
          // an empty item is a slip (an unset variable, a doubled comma), never "every kind"
          throw new BadInputException(
              "--schedules has an empty kind in '"
                  + (trailing ? String.join(",", given) : String.join(",", schedules))
                  + "'; list kinds separated by single commas, e.g. --schedules 1f1b,zb-h1, or"
                  + " leave the option out to search every kind");
        }
        ScheduleKind k = ScheduleKind.parse(s);
        if (!out.contains(k)) {
          out.add(k);
        }
      }
    }
    return out;
  }

  /**
   * The assumption line of {@code --optimizer-post-validation}: which of the searched kinds are
   * priced post-validated and which stay synchronous, in the kinds' own order.
   */
  static String postValidationAssumption(SearchOptions options) {
    List<ScheduleKind> searched =
        options.kinds().isEmpty() ? List.of(ScheduleKind.values()) : options.kinds();
    List<String> postValidated = new ArrayList<>();
    List<String> synchronous = new ArrayList<>();
    for (ScheduleKind k : ScheduleKind.values()) {
      if (searched.contains(k)) {
        (options.postValidates(k) ? postValidated : synchronous).add(k.id());
      }
    }
    StringBuilder line = new StringBuilder("Optimizer step: ");
    if (postValidated.isEmpty()) {
      line.append("synchronous for every searched kind (")
          .append(String.join(", ", synchronous))
          .append("): --optimizer-post-validation applies only to zb-h1, zb-h2, zb-auto, zb-v,")
          .append(" v-half and v-min, the kinds the Zero Bubble code post-validates.");
      return line.toString();
    }
    line.append("post-validated for ")
        .append(String.join(", ", postValidated))
        .append(" (marked *: iteration ms is the steady-state period of back-to-back iterations)");
    if (!synchronous.isEmpty()) {
      line.append("; synchronous for ")
          .append(String.join(", ", synchronous))
          .append(" (the Zero Bubble code post-validates only its zero-bubble kinds)");
    }
    return line.append('.').toString();
  }

  /**
   * A peak in GiB with two decimals from 1 GiB up, as before; below, in the unit that keeps its
   * digits ("6.50 MiB"): a model of a few MiB read "peak 0.01 GiB" and its Pareto set "0.00".
   */
  static String peakBytes(long bytes) {
    if (bytes == 0) {
      return "0 B";
    }
    ByteUnit unit = bytes >= (long) GIB ? ByteUnit.GIB : ByteUnit.forMax(bytes);
    return String.format(Locale.ROOT, "%.2f %s", unit.of(bytes), unit.symbol());
  }

  /** The unit of a table's peak column: GiB, or the unit of its largest peak below 1 GiB. */
  private static ByteUnit peakUnit(List<PlanSummary> rows) {
    long largest = rows.stream().mapToLong(PlanSummary::peakMemoryBytes).max().orElse(0);
    return largest >= (long) GIB ? ByteUnit.GIB : ByteUnit.forMax(largest);
  }

  private static void printTable(
      PrintWriter out, String title, List<PlanSummary> rows, SearchOptions options) {
    out.println(title + ":");
    ByteUnit unit = peakUnit(rows);
    // a cp column only where some row splits its sequences, so tables without it read as before
    boolean cp = rows.stream().anyMatch(r -> r.parallelism().cp() > 1);
    out.printf(
        Locale.ROOT,
        "%4s %4s %4s %3s"
            + (cp ? " %3s" : "%s")
            + " %4s %5s %-12s %2s  %-"
            + PARTITION_WIDTH
            + "s %13s %7s %9s%n",
        "rank",
        "pp",
        "dp",
        "tp",
        cp ? "cp" : "",
        "b",
        "m",
        "schedule",
        "v",
        "layers per stage",
        "iteration ms",
        "bubble",
        "peak " + unit.symbol());
    for (PlanSummary r : rows) {
      out.printf(
          Locale.ROOT,
          "%4d %4d %4d %3d"
              + (cp ? " %3s" : "%s")
              + " %4d %5d %-12s %2d  %-"
              + PARTITION_WIDTH
              + "s %13.2f %7.3f %9.2f%n",
          r.rank(),
          r.parallelism().pp(),
          r.parallelism().dp(),
          r.parallelism().tp(),
          cp ? String.valueOf(r.parallelism().cp()) : "",
          r.microBatchSize(),
          r.microBatchCount(),
          r.scheduleKind().id() + (options.postValidates(r.scheduleKind()) ? "*" : ""),
          r.virtualStages(),
          abbreviate(r.partition()),
          r.iterationNanos() / 1e6,
          r.bubbleRatio(),
          unit.of(r.peakMemoryBytes()));
    }
  }

  private static void printBaselines(PrintWriter out, SearchResult result) {
    Evaluation best = result.best();
    out.println("Reference partitions of " + best.candidate().describe() + ":");
    out.printf(
        Locale.ROOT,
        "%-26s %-" + PARTITION_WIDTH + "s %13s %9s %9s%n",
        "strategy",
        "layers per stage",
        "iteration ms",
        "vs ours",
        "peak GiB");
    out.printf(
        Locale.ROOT,
        "%-26s %-" + PARTITION_WIDTH + "s %13.2f %9s %9.2f%n",
        "pipeplan",
        abbreviate(best.partition().toString()),
        best.iterationNanos() / 1e6,
        "",
        best.peakMemoryBytes() / GIB);
    for (Baselines.Result r : Baselines.compare(result)) {
      Evaluation e = r.evaluation();
      String slower =
          String.format(
              Locale.ROOT,
              "%+.1f%%",
              100.0
                  * (e.iterationNanos() - best.iterationNanos())
                  / Math.max(1, best.iterationNanos()));
      out.printf(
          Locale.ROOT,
          "%-26s %-" + PARTITION_WIDTH + "s %13.2f %9s %9.2f%s%n",
          r.strategy().label(),
          abbreviate(e.partition().toString()),
          e.iterationNanos() / 1e6,
          slower,
          e.peakMemoryBytes() / GIB,
          e.fits() ? "" : "  (over memory)");
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= PARTITION_WIDTH ? text : text.substring(0, PARTITION_WIDTH - 3) + "...";
  }

  /**
   * "70GiB", "80GB", "1.5TiB", "123456B": bytes (GB = 1e9, GiB = 2^30). The unit is required: a
   * bare 70 would be 70 bytes, which nobody means.
   */
  static long parseBytes(String field, String text) {
    Matcher m = SIZE.matcher(text);
    if (!m.matches()) {
      throw new BadInputException(
          field + " '" + text + "' is not a size; use e.g. 70GiB, 80GB or 1024B");
    }
    if (m.group(2) == null) {
      throw new BadInputException(
          field
              + " '"
              + text.trim()
              + "' has no unit. Maybe use "
              + m.group(1)
              + "GiB (or "
              + m.group(1)
              + "GB; B for bytes).");
    }
    double value = Double.parseDouble(m.group(1));
    String unit = m.group(2).toLowerCase(Locale.ROOT);
    boolean binary = unit.contains("i");
    double base = binary ? 1024 : 1000;
    int power;
    switch (unit.charAt(0)) {
      case 'k':
        power = 1;
        break;
      case 'm':
        power = 2;
        break;
      case 'g':
        power = 3;
        break;
      case 't':
        power = 4;
        break;
      default:
        power = 0;
        break;
    }
    double bytes = value * Math.pow(base, power);
    if (!(bytes >= 1)) {
      throw new BadInputException(field + " '" + text + "' must be at least 1 byte");
    }
    if (bytes >= 0x1p63) {
      throw new BadInputException(
          field + " '" + text + "' is too large: it must be below 8388608TiB (2^63 bytes)");
    }
    return (long) bytes;
  }
}
